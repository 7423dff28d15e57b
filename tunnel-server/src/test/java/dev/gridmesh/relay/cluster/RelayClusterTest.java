package dev.gridmesh.relay.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gridmesh.crypto.NodePrivateKey;
import dev.gridmesh.crypto.NodePublicKey;
import dev.gridmesh.protocol.relay.ControlMessage;
import dev.gridmesh.protocol.relay.ErrorCode;
import dev.gridmesh.protocol.relay.PeerInfo;
import dev.gridmesh.relay.server.RelayConfig;
import dev.gridmesh.relay.server.RelayServer;
import dev.gridmesh.relay.store.StoreLocation;
import dev.gridmesh.testsupport.etcd.EtcdExtension;
import dev.gridmesh.testsupport.etcd.EtcdServer;
import dev.gridmesh.testsupport.relay.RelayTestAgent;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two relays on one etcd behave as one mesh: an agent on relay 1 sees the agent on relay 2 come online, their
 * relayed packets cross the relay link, a removal through relay 1 cuts the node off at relay 2, a node that moves
 * to the other relay is closed as REPLACED at the first, and a relay that stops takes its nodes offline.
 * <pre>
 *   agent A ==TLS== relay 1 ==link (TLS, pinned, HMAC)== relay 2 ==TLS== agent B
 *                       \\______________ etcd (loopback) ______________/
 * </pre>
 */
@ExtendWith(EtcdExtension.class)
class RelayClusterTest {
    private static final AtomicInteger SEQ = new AtomicInteger();
    private static final Duration T = Duration.ofSeconds(20);
    @TempDir Path dir;
    private StoreLocation store;

    @BeforeEach
    void store(EtcdServer etcd) {
        store = StoreLocation.parse("etcd://" + etcd.endpoint() + "/cluster-test-" + SEQ.incrementAndGet() + "/");
    }

    private RelayServer relay(String name) throws Exception {
        InetAddress lo = InetAddress.getLoopbackAddress();
        RelayConfig cfg = RelayConfig.defaults(dir.resolve(name)).withListen(new InetSocketAddress(lo, 0), null).withStore(store);
        return RelayServer.start(cfg, Clock.systemUTC());
    }

    /** Reads control messages until {@code key} is shown online (full map or delta). */
    static void awaitOnline(RelayTestAgent a, NodePublicKey key, boolean online) throws IOException {
        long end = System.nanoTime() + T.toNanos();
        while (true) {
            if (System.nanoTime() > end) { // pings keep the socket busy: bound the wait here
                throw new AssertionError(key.shortString() + " not shown " + (online ? "online" : "offline") + " within " + T);
            }
            a.setReadTimeout(Duration.ofSeconds(1));
            ControlMessage m;
            try {
                m = a.readControl();
            } catch (SocketTimeoutException e) {
                continue;
            }
            List<PeerInfo> seen = switch (m) {
                case ControlMessage.PeerMap pm -> pm.peers();
                case ControlMessage.PeerAdded pa -> List.of(pa.peer());
                case ControlMessage.PeerChanged pc -> List.of(pc.peer());
                default -> List.of();
            };
            for (PeerInfo p : seen) {
                if (p.nodeKey().equals(key) && p.online() == online) {
                    return;
                }
            }
        }
    }

    /** Reads control messages (bounded by {@link #T}) until a PeerRemoved for {@code key}. */
    static void awaitRemoved(RelayTestAgent a, NodePublicKey key) throws IOException {
        long end = System.nanoTime() + T.toNanos();
        while (System.nanoTime() < end) {
            a.setReadTimeout(Duration.ofSeconds(1));
            try {
                if (a.readControl() instanceof ControlMessage.PeerRemoved r && r.nodeKey().equals(key)) {
                    return;
                }
            } catch (SocketTimeoutException e) {
                // keep waiting until the deadline
            }
        }
        throw new AssertionError("no PeerRemoved for " + key.shortString() + " within " + T);
    }

    /** Sends until one arrives: the first packets may meet a link that is still connecting (dropped, counted). */
    static RelayTestAgent.Frame sendUntilReceived(RelayTestAgent from, NodePublicKey to, byte[] packet, RelayTestAgent at)
            throws IOException {
        at.setReadTimeout(Duration.ofMillis(300));
        for (int i = 0; i < 60; i++) {
            from.sendPacket(to, packet);
            try {
                return at.awaitPacket();
            } catch (SocketTimeoutException e) {
                // not yet: the link is connecting
            }
        }
        throw new AssertionError("no packet crossed the relay link in 60 tries");
    }

    @Test
    void twoRelaysAreOneMesh() throws Exception {
        try (RelayServer r1 = relay("r1"); RelayServer r2 = relay("r2")) {
            assertThat(r1.cluster()).isNotNull();
            assertThat(r1.cluster().id()).isNotEqualTo(r2.cluster().id());
            String token = r1.admin().createToken(true, Duration.ofHours(1), Set.of()).token();
            NodePrivateKey ka = NodePrivateKey.generate();
            NodePrivateKey kb = NodePrivateKey.generate();
            try (RelayTestAgent a = RelayTestAgent.connect(r1.tcpAddress(), r1.pin(), T);
                 RelayTestAgent b = RelayTestAgent.connect(r2.tcpAddress(), r2.pin(), T)) {
                a.register(ka, "alpha", token);
                b.register(kb, "beta", token);
                awaitOnline(a, kb.publicKey(), true);
                awaitOnline(b, ka.publicKey(), true);
                assertThat(r1.admin().nodes()).extracting(v -> v.node().name() + "=" + v.online())
                        .containsExactly("alpha=true", "beta=true");

                // relayed packets cross the relay link both ways, with the source key rewritten as on one relay
                byte[] ping = "ping through two relays".getBytes();
                RelayTestAgent.Frame got = sendUntilReceived(a, kb.publicKey(), ping, b);
                assertThat(Arrays.copyOfRange(got.payload(), 0, 32)).isEqualTo(ka.publicKey().toBytes());
                assertThat(Arrays.copyOfRange(got.payload(), 32, got.payload().length)).isEqualTo(ping);
                RelayTestAgent.Frame back = sendUntilReceived(b, ka.publicKey(), "pong".getBytes(), a);
                assertThat(Arrays.copyOfRange(back.payload(), 0, 32)).isEqualTo(kb.publicKey().toBytes());
                assertThat(r1.cluster().counters().snapshot().get("packets_forwarded")).isPositive();
                assertThat(r2.cluster().counters().snapshot().get("packets_received")).isPositive();

                // removal through relay 1 cuts beta off at relay 2; alpha is told
                a.setReadTimeout(T);
                b.setReadTimeout(T);
                assertThat(r1.admin().removeNode("beta")).isPresent();
                assertThat(b.awaitClose().code()).isEqualTo(ErrorCode.NODE_REMOVED);
                awaitRemoved(a, kb.publicKey());
            }
        }
    }

    @Test
    void aNodeMovingToTheOtherRelayIsReplacedAndAStoppedRelayTakesItsNodesOffline() throws Exception {
        try (RelayServer r1 = relay("r1")) {
            String token = r1.admin().createToken(true, Duration.ofHours(1), Set.of()).token();
            NodePrivateKey ka = NodePrivateKey.generate();
            NodePrivateKey kb = NodePrivateKey.generate();
            try (RelayTestAgent a = RelayTestAgent.connect(r1.tcpAddress(), r1.pin(), T)) {
                a.register(ka, "alpha", token);
                RelayServer r2 = relay("r2");
                boolean r2Open = true;
                try (RelayTestAgent b = RelayTestAgent.connect(r2.tcpAddress(), r2.pin(), T)) {
                    b.register(kb, "beta", token);
                    awaitOnline(a, kb.publicKey(), true);
                    // beta connects to relay 1 as well (its relay 2 connection looks alive): relay 2 lets go of it
                    try (RelayTestAgent b1 = RelayTestAgent.connect(r1.tcpAddress(), r1.pin(), T)) {
                        b1.register(kb, "beta", "");
                        assertThat(b.awaitClose().code()).isEqualTo(ErrorCode.REPLACED);
                    }
                    awaitOnline(a, kb.publicKey(), false);
                    // beta back on relay 2, then relay 2 stops: alpha sees beta offline
                    try (RelayTestAgent b2 = RelayTestAgent.connect(r2.tcpAddress(), r2.pin(), T)) {
                        b2.register(kb, "beta", "");
                        awaitOnline(a, kb.publicKey(), true);
                        r2.close();
                        r2Open = false;
                        awaitOnline(a, kb.publicKey(), false);
                    }
                } finally {
                    if (r2Open) {
                        r2.close();
                    }
                }
            }
        }
    }

    /** A watch that ends for good (etcd compacted its revision, or the relay was cut off) is replaced from a fresh snapshot. */
    @Test
    void aFailedWatchIsReplacedFromAFreshSnapshot() throws Exception {
        try (RelayServer r1 = relay("r1"); RelayServer r2 = relay("r2")) {
            String token = r1.admin().createToken(true, Duration.ofHours(1), Set.of()).token();
            NodePrivateKey ka = NodePrivateKey.generate();
            NodePrivateKey kb = NodePrivateKey.generate();
            try (RelayTestAgent a = RelayTestAgent.connect(r1.tcpAddress(), r1.pin(), T);
                 RelayTestAgent b = RelayTestAgent.connect(r2.tcpAddress(), r2.pin(), T)) {
                a.register(ka, "alpha", token);
                b.register(kb, "beta", token);
                awaitOnline(a, kb.publicKey(), true);
                r1.cluster().onWatchError(new IllegalStateException("test: watch ended"));
                // changes after the new snapshot still arrive: beta removed through relay 2, alpha told
                assertThat(r2.admin().removeNode("beta")).isPresent();
                awaitRemoved(a, kb.publicKey());
                assertThat(r1.admin().nodes()).extracting(v -> v.node().name()).containsExactly("alpha");
            }
        }
    }
}
