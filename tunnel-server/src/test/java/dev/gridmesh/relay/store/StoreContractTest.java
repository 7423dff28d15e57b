package dev.gridmesh.relay.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gridmesh.crypto.NodePrivateKey;
import dev.gridmesh.crypto.NodePublicKey;
import dev.gridmesh.protocol.net.IpPrefix;
import dev.gridmesh.protocol.relay.ErrorCode;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * What every {@link Store} must do, run against each implementation (H2, etcd). {@link #second} is another handle
 * on the same storage (another relay's view): for etcd a second client, for H2 (one writer per file) the same
 * instance, so the concurrency tests check the same guarantees either way.
 */
public abstract class StoreContractTest {
    protected static final IpPrefix RANGE = IpPrefix.parse("100.64.0.0/10");
    protected static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
    private final List<Store> opened = new ArrayList<>();

    /** A fresh, empty store. */
    protected abstract Store open() throws Exception;

    /** Another handle on the storage {@code first} uses (closed separately). */
    protected abstract Store second(Store first) throws Exception;

    /** Closes {@code s} and opens its storage again: everything written must still be there. */
    protected abstract Store reopen(Store s) throws Exception;

    protected final Store track(Store s) {
        opened.add(s);
        return s;
    }

    @AfterEach
    void closeAll() throws Exception {
        for (Store s : opened) {
            s.close();
        }
    }

    private static TokenRecord token(String text, boolean reusable, Instant expires, Set<String> tags) {
        return new TokenRecord(JoinTokens.hash(text), reusable, expires, tags, T0, 0);
    }

    private static NodePublicKey newKey() {
        return NodePrivateKey.generate().publicKey();
    }

    @Test
    void admitsWithTokenAndKeepsEverythingAcrossReopen() throws Exception {
        NodePublicKey k1 = newKey();
        NodePublicKey k2 = newKey();
        Store s = open();
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
        s = reopen(s);
        assertThat(s.nodes()).extracting(NodeRecord::name).containsExactly("worker-7", "worker-7-2");
        var again = (Registration.Admitted) s.register(k1, "other", null, RANGE, T0.plusSeconds(9));
        assertThat(again.created()).isFalse();
        assertThat(again.node().name()).isEqualTo("worker-7");
        assertThat(again.node().overlayIp()).isEqualTo(InetAddress.getByName("100.64.0.2"));
        assertThat(again.node().lastSeen()).isEqualTo(T0.plusSeconds(9));
        NodeRecord n2 = s.node(k2).orElseThrow();
        assertThat(n2.lastSeen()).isEqualTo(T0.plusSeconds(5));
        assertThat(n2.endpoints()).containsExactly(new InetSocketAddress(InetAddress.getByName("2001:db8::1"), 9),
                new InetSocketAddress(InetAddress.getByName("198.18.0.1"), 41641));
        assertThat(n2.created()).isEqualTo(T0);
        assertThat(s.tokens()).singleElement().satisfies(t -> {
            assertThat(t.uses()).isEqualTo(2);
            assertThat(t.tags()).containsExactly("gpu");
            assertThat(t.hash()).isEqualTo(JoinTokens.hash("t"));
        });
    }

    @Test
    void removalFreesNameAndAddressAndIsNotUndoneByALateUpdate() throws Exception {
        Store s = open();
        s.createToken(token("t", true, null, Set.of()));
        NodePublicKey k1 = newKey();
        NodePublicKey k2 = newKey();
        s.register(k1, "w", JoinTokens.hash("t"), RANGE, T0);
        s.register(k2, "x", JoinTokens.hash("t"), RANGE, T0);
        assertThat(s.removeNode("w")).hasValueSatisfying(n -> assertThat(n.nodeKey()).isEqualTo(k1));
        assertThat(s.removeNode("w")).isEmpty();
        assertThat(s.node(k1)).isEmpty();
        s.updateSeen(k1, T0.plusSeconds(1), List.of()); // a disconnect recorded after the removal
        assertThat(s.node(k1)).isEmpty();
        assertThat(s.register(k1, "w", null, RANGE, T0)).isInstanceOfSatisfying(Registration.Refused.class,
                r -> assertThat(r.code()).isEqualTo(ErrorCode.UNKNOWN_NODE));
        NodePublicKey k3 = newKey();
        var a3 = (Registration.Admitted) s.register(k3, "w", JoinTokens.hash("t"), RANGE, T0);
        assertThat(a3.node().name()).isEqualTo("w");
        assertThat(a3.node().overlayIp()).isEqualTo(InetAddress.getByName("100.64.0.2"));
        assertThat(s.nodes()).extracting(NodeRecord::name).containsExactly("w", "x");
    }

    @Test
    void refusalsWriteNothing() throws Exception {
        Store s = open();
        s.createToken(token("once", false, null, Set.of()));
        s.createToken(token("old", true, T0.plus(Duration.ofHours(1)), Set.of()));
        NodePublicKey k = newKey();
        assertThat(s.register(k, "x", null, RANGE, T0)).isInstanceOfSatisfying(Registration.Refused.class,
                r -> assertThat(r.code()).isEqualTo(ErrorCode.UNKNOWN_NODE));
        assertThat(s.register(k, "x", JoinTokens.hash("nope"), RANGE, T0)).isInstanceOfSatisfying(Registration.Refused.class,
                r -> assertThat(r.code()).isEqualTo(ErrorCode.TOKEN_INVALID));
        assertThat(s.register(k, "x", JoinTokens.hash("old"), RANGE, T0.plus(Duration.ofHours(1))))
                .isInstanceOfSatisfying(Registration.Refused.class, r -> assertThat(r.code()).isEqualTo(ErrorCode.TOKEN_EXPIRED));
        assertThat(s.nodes()).isEmpty();
        assertThat(s.register(k, "x", JoinTokens.hash("once"), RANGE, T0)).isInstanceOf(Registration.Admitted.class);
        NodePublicKey k2 = newKey();
        assertThat(s.register(k2, "y", JoinTokens.hash("once"), RANGE, T0)).isInstanceOfSatisfying(Registration.Refused.class,
                r -> assertThat(r.code()).isEqualTo(ErrorCode.TOKEN_USED_UP));
        assertThat(s.nodes()).hasSize(1);
        assertThat(s.tokens()).extracting(TokenRecord::uses).containsExactlyInAnyOrder(1, 0);
    }

    @Test
    void smallRangeRunsOut() throws Exception {
        IpPrefix tiny = IpPrefix.parse("100.64.0.0/30"); // .0 network, .1 relay, .2 the only node, .3 broadcast
        Store s = open();
        s.createToken(token("t", true, null, Set.of()));
        assertThat(s.register(newKey(), "a", JoinTokens.hash("t"), tiny, T0)).isInstanceOf(Registration.Admitted.class);
        assertThat(s.register(newKey(), "b", JoinTokens.hash("t"), tiny, T0))
                .isInstanceOfSatisfying(Registration.Refused.class, r -> assertThat(r.code()).isEqualTo(ErrorCode.ADDRESS_EXHAUSTED));
        assertThat(s.tokens()).singleElement().satisfies(t -> assertThat(t.uses()).isEqualTo(1));
    }

    @Test
    void tokensOldestFirstAndAdminCredentials() throws Exception {
        Store s = open();
        s.createToken(new TokenRecord(JoinTokens.hash("b"), false, T0.plusSeconds(60), Set.of("x", "y"), T0.plusSeconds(2), 0));
        s.createToken(new TokenRecord(JoinTokens.hash("a"), true, null, Set.of(), T0.plusSeconds(1), 0));
        assertThat(s.tokens()).extracting(TokenRecord::id).containsExactly(
                new TokenRecord(JoinTokens.hash("a"), true, null, Set.of(), T0, 0).id(),
                new TokenRecord(JoinTokens.hash("b"), true, null, Set.of(), T0, 0).id());
        TokenRecord b = s.tokens().get(1);
        assertThat(b.reusable()).isFalse();
        assertThat(b.expires()).isEqualTo(T0.plusSeconds(60));
        assertThat(b.tags()).containsExactlyInAnyOrder("x", "y");
        s.putAdminCredential("ops", JoinTokens.hash("secret"), T0);
        assertThat(s.adminCredential("ops")).hasValueSatisfying(h -> assertThat(h).isEqualTo(JoinTokens.hash("secret")));
        s.putAdminCredential("ops", JoinTokens.hash("rotated"), T0.plusSeconds(1));
        assertThat(s.adminCredential("ops")).hasValueSatisfying(h -> assertThat(h).isEqualTo(JoinTokens.hash("rotated")));
        assertThat(s.adminCredential("nobody")).isEmpty();
    }

    /** Two relays admitting nodes at the same time: every node gets its own name and address, the token counts all. */
    @Test
    void concurrentRegistrationsOnTwoHandlesNeverShareANameOrAddress() throws Exception {
        Store a = open();
        Store b = second(a);
        a.createToken(token("t", true, null, Set.of()));
        int perThread = 12;
        int threads = 4;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        CountDownLatch go = new CountDownLatch(1);
        try {
            List<Future<List<Registration>>> futures = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                Store s = t % 2 == 0 ? a : b;
                futures.add(pool.submit(() -> {
                    go.await();
                    List<Registration> out = new ArrayList<>();
                    for (int i = 0; i < perThread; i++) {
                        out.add(s.register(newKey(), "gpu worker", JoinTokens.hash("t"), RANGE, T0));
                    }
                    return out;
                }));
            }
            go.countDown();
            Set<String> names = new HashSet<>();
            Set<InetAddress> ips = new HashSet<>();
            for (Future<List<Registration>> f : futures) {
                for (Registration r : f.get(60, TimeUnit.SECONDS)) {
                    assertThat(r).isInstanceOf(Registration.Admitted.class);
                    NodeRecord n = ((Registration.Admitted) r).node();
                    assertThat(names.add(n.name())).as("name %s given twice", n.name()).isTrue();
                    assertThat(ips.add(n.overlayIp())).as("address %s given twice", n.overlayIp()).isTrue();
                }
            }
            int total = perThread * threads;
            assertThat(a.nodes()).hasSize(total);
            assertThat(b.nodes()).hasSize(total);
            assertThat(a.tokens()).singleElement().satisfies(t -> assertThat(t.uses()).isEqualTo(total));
            // the lowest addresses, no gaps: .2 .. .(total+1)
            Set<InetAddress> expected = new HashSet<>();
            for (int i = 0; i < total; i++) {
                expected.add(InetAddress.getByName("100.64.0." + (2 + i)));
            }
            assertThat(ips).isEqualTo(expected);
        } finally {
            pool.shutdownNow();
        }
    }

    /** A one-off token presented to two relays at once admits exactly one node. */
    @Test
    void oneOffTokenRaceAdmitsExactlyOne() throws Exception {
        Store a = open();
        Store b = second(a);
        int rounds = 6;
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            for (int round = 0; round < rounds; round++) {
                String text = "once-" + round;
                a.createToken(token(text, false, null, Set.of()));
                CountDownLatch go = new CountDownLatch(1);
                Future<Registration> ra = pool.submit(() -> {
                    go.await();
                    return a.register(newKey(), "a", JoinTokens.hash(text), RANGE, T0);
                });
                Future<Registration> rb = pool.submit(() -> {
                    go.await();
                    return b.register(newKey(), "b", JoinTokens.hash(text), RANGE, T0);
                });
                go.countDown();
                List<Registration> rs = List.of(ra.get(30, TimeUnit.SECONDS), rb.get(30, TimeUnit.SECONDS));
                assertThat(rs).filteredOn(r -> r instanceof Registration.Admitted).hasSize(1);
                assertThat(rs).filteredOn(r -> r instanceof Registration.Refused rf && rf.code() == ErrorCode.TOKEN_USED_UP).hasSize(1);
            }
            assertThat(a.nodes()).hasSize(rounds);
        } finally {
            pool.shutdownNow();
        }
    }

    /** The same node key registering through two relays at once (a reconnect race): one node, one address. */
    @Test
    void sameKeyOnTwoHandlesAtOnceIsOneNode() throws Exception {
        Store a = open();
        Store b = second(a);
        a.createToken(token("t", true, null, Set.of()));
        NodePublicKey k = newKey();
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            CountDownLatch go = new CountDownLatch(1);
            Future<Registration> ra = pool.submit(() -> {
                go.await();
                return a.register(k, "w", JoinTokens.hash("t"), RANGE, T0);
            });
            Future<Registration> rb = pool.submit(() -> {
                go.await();
                return b.register(k, "w", JoinTokens.hash("t"), RANGE, T0);
            });
            go.countDown();
            var x = (Registration.Admitted) ra.get(30, TimeUnit.SECONDS);
            var y = (Registration.Admitted) rb.get(30, TimeUnit.SECONDS);
            assertThat(List.of(x.created(), y.created())).containsExactlyInAnyOrder(true, false);
            assertThat(x.node().overlayIp()).isEqualTo(y.node().overlayIp());
            assertThat(x.node().name()).isEqualTo("w");
            assertThat(y.node().name()).isEqualTo("w");
            assertThat(a.nodes()).hasSize(1);
            assertThat(a.tokens()).singleElement().satisfies(t -> assertThat(t.uses()).isEqualTo(1));
        } finally {
            pool.shutdownNow();
        }
    }
}
