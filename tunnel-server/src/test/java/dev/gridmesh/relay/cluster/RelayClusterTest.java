package dev.gridmesh.relay.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gridmesh.crypto.NodePrivateKey;
import dev.gridmesh.crypto.NodePublicKey;
import dev.gridmesh.protocol.relay.ControlMessage;
import dev.gridmesh.protocol.relay.ErrorCode;
import dev.gridmesh.protocol.relay.PeerInfo;
import dev.gridmesh.protocol.relay.Frames;
import dev.gridmesh.protocol.stream.ResetCode;
import dev.gridmesh.protocol.stream.StreamEvent;
import dev.gridmesh.protocol.stream.StreamMux;
import dev.gridmesh.protocol.stream.StreamTarget;
import dev.gridmesh.relay.server.RelayServer;
import dev.gridmesh.relay.tunnel.TunnelPolicy;
import dev.gridmesh.relay.tunnel.UserStore;
import dev.gridmesh.testsupport.etcd.EtcdExtension;
import dev.gridmesh.testsupport.etcd.EtcdServer;
import dev.gridmesh.testsupport.relay.RelayTestAgent;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.Random;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import javax.net.ssl.SSLSocket;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
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
    private static final Duration T = Duration.ofSeconds(20);
    @TempDir Path dir;
    private EtcdRelays relays;

    @BeforeEach
    void relays(EtcdServer etcd) {
        relays = new EtcdRelays(etcd, dir, "cluster-test");
    }

    private RelayServer relay(String name) throws Exception {
        return relays.start(name);
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

    /** Polls {@code cond} (bounded by {@link #T}). */
    static void await(String what, BooleanSupplier cond) {
        long end = System.nanoTime() + T.toNanos();
        while (!cond.getAsBoolean()) {
            if (System.nanoTime() > end) {
                throw new AssertionError("timed out waiting for " + what);
            }
            LockSupport.parkNanos(10_000_000);
        }
    }

    /** An engineer's tunnel connection to {@code r}, upgraded with {@code token}. */
    static StreamPeer engineer(RelayServer r, String token, List<AutoCloseable> open) throws Exception {
        SSLSocket s = (SSLSocket) RelayTestAgent.pinnedContext(r.pin()).getSocketFactory()
                .createSocket(r.tcpAddress().getAddress(), r.tcpAddress().getPort());
        open.add(s);
        s.setSoTimeout(0); // the reader thread blocks until the socket closes
        OutputStream out = s.getOutputStream();
        out.write(("GET /gridmesh/v1/tunnel HTTP/1.1\r\nHost: relay\r\nAuthorization: Bearer " + token
                + "\r\nConnection: Upgrade\r\nUpgrade: " + Frames.UPGRADE_TOKEN + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        out.flush();
        DataInputStream in = new DataInputStream(s.getInputStream());
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        while (!head.toString(StandardCharsets.US_ASCII).endsWith("\r\n\r\n")) {
            head.write(in.readUnsignedByte());
        }
        assertThat(head.toString(StandardCharsets.US_ASCII)).startsWith("HTTP/1.1 101");
        StreamPeer p = StreamPeer.engineer(in, out);
        open.add(p);
        return p;
    }

    /** Collects {@code n} bytes of stream {@code id} from {@code p}'s Data events. */
    @SuppressWarnings("unchecked")
    static byte[] read(StreamPeer p, long id, int n) throws InterruptedException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        while (b.size() < n) {
            StreamEvent.Data<byte[]> d = p.await(StreamEvent.Data.class, T);
            assertThat(d.id()).isEqualTo(id);
            b.writeBytes(d.bytes());
        }
        assertThat(b.size()).isEqualTo(n);
        return b.toByteArray();
    }

    static byte[] sha256(byte[] b) throws Exception {
        return MessageDigest.getInstance("SHA-256").digest(b);
    }

    /**
     * Engineer tunnels through relay 1 to a node held by relay 2 (docs/multi-relay.md): token and policy decided by
     * relay 1, the stream carried on a stream link to relay 2, joined there to the node's connection. 1 MiB each way
     * byte-exact; half-close one way while the other still flows; a reset each way; a stalled reader holds the sender
     * to a few windows; refusals keep their reasons (policy on relay 1, the agent's own, offline, unknown).
     */
    @Test
    @SuppressWarnings("unchecked")
    void engineerTunnelsThroughOneRelayReachANodeOnTheOther() throws Exception {
        List<AutoCloseable> open = new java.util.ArrayList<>();
        try (RelayServer r1 = relay("r1"); RelayServer r2 = relay("r2")) {
            Path d1 = dir.resolve("r1");
            UserStore.createUser(d1, "alice", Set.of());
            String token = UserStore.issueToken(d1, "alice", new SecureRandom(), Instant.now());
            Files.writeString(d1.resolve(TunnelPolicy.FILE), "allow user:alice node:beta 7000\nallow user:alice node:ghost 7000\n");
            String join = r1.admin().createToken(true, Duration.ofHours(1), Set.of()).token();
            NodePrivateKey kb = NodePrivateKey.generate();
            RelayTestAgent b = RelayTestAgent.connect(r2.tcpAddress(), r2.pin(), T);
            open.add(b);
            b.register(kb, "beta", join);
            b.setReadTimeout(Duration.ZERO);
            await("beta online at relay 1", () -> r1.admin().nodes().stream()
                    .anyMatch(v -> v.node().name().equals("beta") && v.online()));
            StreamPeer worker = StreamPeer.agent(b);
            open.add(worker);
            StreamPeer eng = engineer(r1, token, open);

            // the policy is relay 1's: a port it does not allow is refused there, with its reason
            long denied = eng.open(new StreamTarget("beta", 23));
            StreamEvent.Closed<byte[]> no = eng.await(StreamEvent.Closed.class, T);
            assertThat(no.id()).isEqualTo(denied);
            assertThat(no.code()).isEqualTo(ResetCode.DENIED);
            assertThat(no.reason()).contains("policy: user alice may not reach beta:23");
            // unknown everywhere: today's reason
            eng.open(new StreamTarget("ghost", 7000));
            assertThat(eng.await(StreamEvent.Closed.class, T).reason()).contains("no node named ghost");

            // open, 1 MiB each way at once, byte-exact
            long s1 = eng.open(new StreamTarget("beta", 7000));
            StreamEvent.Opened<byte[]> o = worker.await(StreamEvent.Opened.class, T);
            assertThat(o.target()).isEqualTo(new StreamTarget("beta", 7000));
            worker.accept(o.id());
            eng.await(StreamEvent.Accepted.class, T);
            Random rnd = new Random(42);
            byte[] up = new byte[1 << 20];
            byte[] down = new byte[1 << 20];
            rnd.nextBytes(up);
            rnd.nextBytes(down);
            eng.send(s1, up);
            worker.send(o.id(), down);
            byte[] gotUp = read(worker, o.id(), up.length);
            byte[] gotDown = read(eng, s1, down.length);
            assertThat(sha256(gotUp)).isEqualTo(sha256(up));
            assertThat(sha256(gotDown)).isEqualTo(sha256(down));

            // half-close engineer -> node only: the node sees EOF and still answers, then closes its side
            eng.halfClose(s1);
            worker.await(StreamEvent.Eof.class, T);
            worker.send(o.id(), "after your EOF".getBytes(StandardCharsets.UTF_8));
            assertThat(new String(read(eng, s1, 14), StandardCharsets.UTF_8)).isEqualTo("after your EOF");
            worker.halfClose(o.id());
            eng.await(StreamEvent.Eof.class, T);
            assertThat(eng.await(StreamEvent.Closed.class, T).clean()).isTrue();
            assertThat(worker.await(StreamEvent.Closed.class, T).clean()).isTrue();

            // a reader that stops: the sender is held to a few windows (engineer, link and agent legs), nothing piles up
            long s2 = eng.open(new StreamTarget("beta", 7000));
            StreamEvent.Opened<byte[]> o2 = worker.await(StreamEvent.Opened.class, T);
            worker.accept(o2.id());
            eng.await(StreamEvent.Accepted.class, T);
            worker.holdCredit(true);
            byte[] big = new byte[4 << 20];
            rnd.nextBytes(big);
            eng.send(s2, big);
            byte[] first = read(worker, o2.id(), StreamMux.INITIAL_WINDOW);
            await("the engineer's window used up", () -> eng.sendWindow(s2) == 0);
            long sent = big.length - eng.queued(s2);
            assertThat(sent).isLessThanOrEqualTo(4L * StreamMux.INITIAL_WINDOW);
            assertThat(worker.next(Duration.ofMillis(200))).isNull(); // no byte beyond the agent's window
            worker.holdCredit(false);
            byte[] rest = read(worker, o2.id(), big.length - first.length);
            ByteArrayOutputStream all = new ByteArrayOutputStream();
            all.writeBytes(first);
            all.writeBytes(rest);
            assertThat(sha256(all.toByteArray())).isEqualTo(sha256(big));

            // the engineer resets: the node's stream ends with the reason
            eng.reset(s2, ResetCode.PEER_GONE, "engineer gave up");
            assertThat(eng.await(StreamEvent.Closed.class, T).id()).isEqualTo(s2); // its own side, at once
            StreamEvent.Closed<byte[]> rc = worker.await(StreamEvent.Closed.class, T);
            assertThat(rc.clean()).isFalse();
            assertThat(rc.reason()).contains("engineer reset the stream");
            // the agent refuses (its own allow-list): the engineer gets the agent's reason
            long s3 = eng.open(new StreamTarget("beta", 7000));
            StreamEvent.Opened<byte[]> o3 = worker.await(StreamEvent.Opened.class, T);
            worker.reset(o3.id(), ResetCode.DENIED, "port 7000 is not in beta's allow-list (test)");
            StreamEvent.Closed<byte[]> ac = eng.await(StreamEvent.Closed.class, T);
            assertThat(ac.id()).isEqualTo(s3);
            assertThat(ac.code()).isEqualTo(ResetCode.DENIED);
            assertThat(ac.reason()).contains("allow-list (test)");

            assertThat(r1.cluster().counters().snapshot().get("stream_links_opened")).isEqualTo(1);
            assertThat(r2.cluster().counters().snapshot().get("stream_links_opened")).isEqualTo(1);
            assertThat(r1.tunnels().counters().snapshot()).containsEntry("denied_policy", 1L);

            // beta offline everywhere: the clear reason of one relay
            b.close();
            await("beta offline at relay 1", () -> r1.admin().nodes().stream()
                    .anyMatch(v -> v.node().name().equals("beta") && !v.online()));
            eng.open(new StreamTarget("beta", 7000));
            assertThat(eng.await(StreamEvent.Closed.class, T).reason()).contains("node beta is not connected to the relay");
        } finally {
            for (AutoCloseable c : open.reversed()) {
                c.close();
            }
        }
    }
}
