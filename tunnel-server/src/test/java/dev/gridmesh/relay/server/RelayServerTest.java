package dev.gridmesh.relay.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gridmesh.crypto.NodePrivateKey;
import dev.gridmesh.protocol.relay.ControlMessage;
import dev.gridmesh.protocol.relay.ErrorCode;
import dev.gridmesh.protocol.relay.PeerInfo;
import dev.gridmesh.testsupport.relay.RelayTestAgent;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The relay over real loopback sockets: registration, peer maps, relayed packets, restart, admin removal. */
class RelayServerTest {
    static final Duration T = Duration.ofSeconds(5);
    @TempDir Path dir;

    static RelayConfig config(Path dir) {
        InetAddress lo = InetAddress.getLoopbackAddress();
        return RelayConfig.defaults(dir).withListen(new InetSocketAddress(lo, 0), new InetSocketAddress(lo, 0));
    }

    static RelayTestAgent connect(RelayServer r) throws Exception {
        return RelayTestAgent.connect(r.tcpAddress(), r.pin(), T);
    }

    @Test
    void twoAgentsSeeEachOtherExchangePacketsAndKeepTheirAddressesAcrossARestart() throws Exception {
        NodePrivateKey ka = NodePrivateKey.generate();
        NodePrivateKey kb = NodePrivateKey.generate();
        ControlMessage.RegisterOk okA;
        ControlMessage.RegisterOk okB;
        String pin;
        try (RelayServer r = RelayServer.start(config(dir), java.time.Clock.systemUTC())) {
            pin = r.pin();
            assertThat(pin).matches("sha256:[0-9a-f]{64}");
            String token = r.admin().createToken(true, Duration.ofHours(1), Set.of("gpu")).token();
            try (RelayTestAgent a = connect(r); RelayTestAgent b = connect(r)) {
                okA = a.register(ka, "Alpha Host", token);
                assertThat(okA.nodeName()).isEqualTo("alpha-host");
                assertThat(okA.prefixBits()).isEqualTo(10);
                ControlMessage.PeerMap mapA = a.await(ControlMessage.PeerMap.class);
                assertThat(mapA.first() && mapA.last()).isTrue();
                assertThat(mapA.peers()).isEmpty();

                okB = b.register(kb, "beta", token);
                assertThat(okB.overlayIp()).isNotEqualTo(okA.overlayIp());
                ControlMessage.PeerMap mapB = b.await(ControlMessage.PeerMap.class);
                assertThat(mapB.peers()).extracting(PeerInfo::name, PeerInfo::online).containsExactly(
                        org.assertj.core.groups.Tuple.tuple("alpha-host", true));
                assertThat(mapB.peers().getFirst().nodeKey()).isEqualTo(ka.publicKey());
                assertThat(mapB.peers().getFirst().overlayIps()).containsExactly(okA.overlayIp());

                a.setReadTimeout(Duration.ofSeconds(1)); // a new peer is visible within 1 s
                ControlMessage.PeerAdded added = a.await(ControlMessage.PeerAdded.class);
                assertThat(added.peer().nodeKey()).isEqualTo(kb.publicKey());
                assertThat(added.peer().overlayIps()).containsExactly(okB.overlayIp());
                a.setReadTimeout(T);

                byte[] wg = {4, 0, 0, 0, 1, 2, 3, 4, 5};
                a.sendPacket(kb.publicKey(), wg);
                RelayTestAgent.Frame f = b.awaitPacket();
                assertThat(java.util.Arrays.copyOfRange(f.payload(), 0, 32)).isEqualTo(ka.publicKey().toBytes());
                assertThat(java.util.Arrays.copyOfRange(f.payload(), 32, f.payload().length)).isEqualTo(wg);
                b.sendPacket(ka.publicKey(), new byte[] {9});
                assertThat(a.awaitPacket().payload()).endsWith(9);

                b.send(new ControlMessage.SetEndpoints(java.util.List.of(new InetSocketAddress(InetAddress.getByName("198.18.0.7"), 41641))));
                ControlMessage.PeerChanged ch = a.await(ControlMessage.PeerChanged.class);
                assertThat(ch.peer().endpoints()).containsExactly(new InetSocketAddress(InetAddress.getByName("198.18.0.7"), 41641));

                a.send(new ControlMessage.Ping(77));
                assertThat(a.await(ControlMessage.Pong.class).nonce()).isEqualTo(77);
            }
            assertThat(r.metrics().get(RelayCounter.PACKETS_RELAYED)).isEqualTo(2);
        }
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("relay-key.pem")))).isEqualTo("rw-------");

        try (RelayServer r = RelayServer.start(config(dir), java.time.Clock.systemUTC())) {
            assertThat(r.pin()).isEqualTo(pin);
            try (RelayTestAgent b = connect(r); RelayTestAgent a = connect(r)) {
                ControlMessage.RegisterOk again = b.register(kb, "beta", "");
                assertThat(again).isEqualTo(okB);
                ControlMessage.PeerMap map = b.await(ControlMessage.PeerMap.class);
                assertThat(map.peers()).extracting(PeerInfo::name, PeerInfo::online).containsExactly(
                        org.assertj.core.groups.Tuple.tuple("alpha-host", false));
                assertThat(map.peers().getFirst().endpoints()).isEmpty();
                assertThat(a.register(ka, "renamed", "")).isEqualTo(okA);
                assertThat(b.await(ControlMessage.PeerChanged.class).peer().online()).isTrue();
                a.sendPacket(kb.publicKey(), new byte[] {1});
                assertThat(b.awaitPacket().payload()).hasSize(33);
            }
            assertThat(r.admin().nodes()).extracting(v -> v.node().name()).containsExactly("alpha-host", "beta");
            assertThat(r.admin().nodes().get(1).node().endpoints()).hasSize(1);
        }
    }

    @Test
    void healthz() throws Exception {
        try (RelayServer r = RelayServer.start(config(dir), java.time.Clock.systemUTC())) {
            String resp = RelayTestAgent.httpGet(r.tcpAddress(), r.pin(), "/healthz", T);
            assertThat(resp).startsWith("HTTP/1.1 200").endsWith("ok\n");
            assertThat(RelayTestAgent.httpGet(r.tcpAddress(), r.pin(), "/other", T)).startsWith("HTTP/1.1 404");
            assertThat(r.metrics().get(RelayCounter.HEALTH_CHECKS)).isEqualTo(1);
        }
    }

    @Test
    void wrongPinIsRefusedByTheClient() throws Exception {
        try (RelayServer r = RelayServer.start(config(dir), java.time.Clock.systemUTC())) {
            assertThatThrownBy(() -> RelayTestAgent.connect(r.tcpAddress(), "sha256:" + "0".repeat(64), T))
                    .hasMessageContaining("does not match pin");
        }
    }

    @Test
    void removingANodeCutsItOffAndTellsThePeers() throws Exception {
        try (RelayServer r = RelayServer.start(config(dir), java.time.Clock.systemUTC())) {
            String token = r.admin().createToken(true, null, Set.of()).token();
            NodePrivateKey kb = NodePrivateKey.generate();
            try (RelayTestAgent a = connect(r); RelayTestAgent b = connect(r)) {
                a.register(NodePrivateKey.generate(), "a", token);
                a.await(ControlMessage.PeerMap.class);
                b.register(kb, "b", token);
                a.await(ControlMessage.PeerAdded.class);
                assertThat(r.admin().removeNode("b")).isPresent();
                assertThat(b.awaitClose().code()).isEqualTo(ErrorCode.NODE_REMOVED);
                assertThat(a.await(ControlMessage.PeerRemoved.class).nodeKey()).isEqualTo(kb.publicKey());
                assertThat(r.admin().removeNode("b")).isEmpty();
            }
            try (RelayTestAgent b = connect(r)) {
                assertThatThrownBy(() -> b.register(kb, "b", ""))
                        .isInstanceOfSatisfying(RelayTestAgent.RefusedException.class,
                                e -> assertThat(e.error().code()).isEqualTo(ErrorCode.UNKNOWN_NODE));
            }
            assertThat(r.metrics().get(RelayCounter.NODE_REMOVED)).isEqualTo(1);
        }
    }

    @Test
    void newConnectionWithTheSameKeyReplacesTheOld() throws Exception {
        try (RelayServer r = RelayServer.start(config(dir), java.time.Clock.systemUTC())) {
            String token = r.admin().createToken(true, null, Set.of()).token();
            NodePrivateKey k = NodePrivateKey.generate();
            try (RelayTestAgent first = connect(r); RelayTestAgent second = connect(r)) {
                first.register(k, "w", token);
                second.register(k, "w", "");
                assertThat(first.awaitClose().code()).isEqualTo(ErrorCode.REPLACED);
                assertThat(r.hub().onlineCount()).isEqualTo(1);
            }
        }
    }

    @Test
    void tokenTimesAndUsesAreChecked() throws Exception {
        MutableClock clock = new MutableClock(Instant.parse("2026-01-01T00:00:00Z"));
        try (RelayServer r = RelayServer.start(config(dir), clock)) {
            String expiring = r.admin().createToken(true, Duration.ofHours(24), Set.of()).token();
            String oneOff = r.admin().createToken(false, null, Set.of()).token();
            try (RelayTestAgent a = connect(r)) {
                a.register(NodePrivateKey.generate(), "first", oneOff);
            }
            assertRefused(r, oneOff, ErrorCode.TOKEN_USED_UP);
            assertRefused(r, "gmt_not-a-token", ErrorCode.TOKEN_INVALID);
            assertRefused(r, "", ErrorCode.UNKNOWN_NODE);
            clock.advance(Duration.ofHours(25));
            assertRefused(r, expiring, ErrorCode.TOKEN_EXPIRED);
            assertThat(r.admin().nodes()).hasSize(1);
            assertThat(r.metrics().get(RelayCounter.TOKEN_USED_UP)).isEqualTo(1);
            assertThat(r.metrics().get(RelayCounter.TOKEN_INVALID)).isEqualTo(1);
            assertThat(r.metrics().get(RelayCounter.UNKNOWN_NODE)).isEqualTo(1);
            assertThat(r.metrics().get(RelayCounter.TOKEN_EXPIRED)).isEqualTo(1);
            assertThat(r.admin().tokens()).extracting(t -> t.uses()).containsExactlyInAnyOrder(0, 1);
        }
    }

    private static void assertRefused(RelayServer r, String token, ErrorCode code) throws Exception {
        try (RelayTestAgent a = connect(r)) {
            assertThatThrownBy(() -> a.register(NodePrivateKey.generate(), "x", token))
                    .isInstanceOfSatisfying(RelayTestAgent.RefusedException.class, e -> assertThat(e.error().code()).isEqualTo(code));
            assertThat(a.awaitClose()).isNull(); // closed right after the error
        }
    }
}
