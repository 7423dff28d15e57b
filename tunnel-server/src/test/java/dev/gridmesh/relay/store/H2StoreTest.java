package dev.gridmesh.relay.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gridmesh.crypto.NodePrivateKey;
import dev.gridmesh.crypto.NodePublicKey;
import dev.gridmesh.protocol.net.IpPrefix;
import dev.gridmesh.protocol.relay.ErrorCode;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class H2StoreTest {
    static final IpPrefix RANGE = IpPrefix.parse("100.64.0.0/10");
    static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
    @TempDir Path dir;

    private static TokenRecord token(String text, boolean reusable, Instant expires, Set<String> tags) {
        return new TokenRecord(JoinTokens.hash(text), reusable, expires, tags, T0, 0);
    }

    @Test
    void admitsWithTokenKeepsEverythingAcrossReopen() throws Exception {
        NodePublicKey k1 = NodePrivateKey.generate().publicKey();
        NodePublicKey k2 = NodePrivateKey.generate().publicKey();
        try (H2Store s = H2Store.open(dir)) {
            s.createToken(token("t", true, null, Set.of("gpu")));
            var a1 = (Registration.Admitted) s.register(k1, "Worker 7", JoinTokens.hash("t"), RANGE, T0);
            var a2 = (Registration.Admitted) s.register(k2, "worker 7", JoinTokens.hash("t"), RANGE, T0);
            assertThat(a1.created()).isTrue();
            assertThat(a1.node().name()).isEqualTo("worker-7");
            assertThat(a2.node().name()).isEqualTo("worker-7-2");
            assertThat(a1.node().overlayIp()).isEqualTo(InetAddress.getByName("100.64.0.2"));
            assertThat(a2.node().overlayIp()).isEqualTo(InetAddress.getByName("100.64.0.3"));
            assertThat(a1.node().tags()).containsExactly("gpu");
            s.updateSeen(k2, T0.plusSeconds(5), List.of(new InetSocketAddress(InetAddress.getByName("2001:db8::1"), 9),
                    new InetSocketAddress(InetAddress.getByName("198.18.0.1"), 41641)));
        }
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("relay.mv.db")))).isEqualTo("rw-------");
        try (H2Store s = H2Store.open(dir)) {
            assertThat(s.nodes()).extracting(NodeRecord::name).containsExactly("worker-7", "worker-7-2");
            var again = (Registration.Admitted) s.register(k1, "other", null, RANGE, T0.plusSeconds(9));
            assertThat(again.created()).isFalse();
            assertThat(again.node().name()).isEqualTo("worker-7");
            assertThat(again.node().overlayIp()).isEqualTo(InetAddress.getByName("100.64.0.2"));
            NodeRecord n2 = s.node(k2).orElseThrow();
            assertThat(n2.lastSeen()).isEqualTo(T0.plusSeconds(5));
            assertThat(n2.endpoints()).hasSize(2);
            assertThat(s.tokens()).singleElement().satisfies(t -> assertThat(t.uses()).isEqualTo(2));
            assertThat(s.removeNode("worker-7")).isPresent();
            assertThat(s.removeNode("worker-7")).isEmpty();
            // the freed address is handed out again
            NodePublicKey k3 = NodePrivateKey.generate().publicKey();
            var a3 = (Registration.Admitted) s.register(k3, "w", JoinTokens.hash("t"), RANGE, T0);
            assertThat(a3.node().overlayIp()).isEqualTo(InetAddress.getByName("100.64.0.2"));
        }
    }

    @Test
    void refusalsWriteNothing() throws Exception {
        try (H2Store s = H2Store.open(dir)) {
            s.createToken(token("once", false, null, Set.of()));
            s.createToken(token("old", true, T0.plus(Duration.ofHours(1)), Set.of()));
            NodePublicKey k = NodePrivateKey.generate().publicKey();
            assertThat(s.register(k, "x", null, RANGE, T0)).isInstanceOfSatisfying(Registration.Refused.class,
                    r -> assertThat(r.code()).isEqualTo(ErrorCode.UNKNOWN_NODE));
            assertThat(s.register(k, "x", JoinTokens.hash("nope"), RANGE, T0)).isInstanceOfSatisfying(Registration.Refused.class,
                    r -> assertThat(r.code()).isEqualTo(ErrorCode.TOKEN_INVALID));
            assertThat(s.register(k, "x", JoinTokens.hash("old"), RANGE, T0.plus(Duration.ofHours(1))))
                    .isInstanceOfSatisfying(Registration.Refused.class, r -> assertThat(r.code()).isEqualTo(ErrorCode.TOKEN_EXPIRED));
            assertThat(s.register(k, "x", JoinTokens.hash("once"), RANGE, T0)).isInstanceOf(Registration.Admitted.class);
            NodePublicKey k2 = NodePrivateKey.generate().publicKey();
            assertThat(s.register(k2, "y", JoinTokens.hash("once"), RANGE, T0)).isInstanceOfSatisfying(Registration.Refused.class,
                    r -> assertThat(r.code()).isEqualTo(ErrorCode.TOKEN_USED_UP));
            assertThat(s.nodes()).hasSize(1);
        }
    }

    @Test
    void smallRangeRunsOut() throws Exception {
        IpPrefix tiny = IpPrefix.parse("100.64.0.0/30"); // .0 network, .1 relay, .2 the only node, .3 broadcast
        try (H2Store s = H2Store.open(dir)) {
            s.createToken(token("t", true, null, Set.of()));
            assertThat(s.register(NodePrivateKey.generate().publicKey(), "a", JoinTokens.hash("t"), tiny, T0))
                    .isInstanceOf(Registration.Admitted.class);
            assertThat(s.register(NodePrivateKey.generate().publicKey(), "b", JoinTokens.hash("t"), tiny, T0))
                    .isInstanceOfSatisfying(Registration.Refused.class, r -> assertThat(r.code()).isEqualTo(ErrorCode.ADDRESS_EXHAUSTED));
        }
    }

    @Test
    void adminCredentials() throws Exception {
        try (H2Store s = H2Store.open(dir)) {
            s.putAdminCredential("ops", JoinTokens.hash("secret"), T0);
            assertThat(s.adminCredential("ops")).hasValueSatisfying(h -> assertThat(h).isEqualTo(JoinTokens.hash("secret")));
            assertThat(s.adminCredential("nobody")).isEmpty();
        }
    }

    @Test
    void rules() throws Exception {
        assertThat(RegistrationRules.sanitize("GPU_Worker.example.com")).isEqualTo("gpu-worker-example-com");
        assertThat(RegistrationRules.sanitize("---")).isEqualTo("node");
        assertThat(RegistrationRules.sanitize("a".repeat(80))).hasSize(58);
        assertThat(RegistrationRules.uniqueName("w", Set.of("w", "w-2"))).isEqualTo("w-3");
        Set<InetAddress> taken = new HashSet<>();
        taken.add(InetAddress.getByName("100.64.0.2"));
        assertThat(RegistrationRules.allocate(IpPrefix.parse("100.64.0.0/10"), taken)).contains(InetAddress.getByName("100.64.0.3"));
        assertThat(JoinTokens.generate(new java.security.SecureRandom())).matches("gmt_[A-Za-z0-9_-]{32}");
    }
}
