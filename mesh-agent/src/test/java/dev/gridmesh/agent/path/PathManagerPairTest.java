package dev.gridmesh.agent.path;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gridmesh.crypto.NodePrivateKey;
import dev.gridmesh.crypto.NodePublicKey;
import dev.gridmesh.protocol.relay.PeerInfo;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;

/**
 * Two path managers wired through an in-memory "UDP link" (which can be cut) and an in-memory relay: they punch to
 * a direct path after seeing each other online, fall back to the relay when the link is cut, and go direct again
 * when it heals; relayed disco pings answer while the link is down.
 */
class PathManagerPairTest {
    static final InetSocketAddress ADDR_A = new InetSocketAddress(addr("198.18.0.1"), 41000);
    static final InetSocketAddress ADDR_B = new InetSocketAddress(addr("198.18.0.2"), 42000);

    static InetAddress addr(String s) {
        try {
            return InetAddress.getByName(s);
        } catch (java.net.UnknownHostException e) {
            throw new IllegalArgumentException(e);
        }
    }

    /** One side's I/O: UDP to the other side's address only while the link is up; relay always. */
    static final class FakeIo implements PathIo {
        final InetSocketAddress self;
        volatile PathManager other;
        volatile InetSocketAddress otherAddr;
        volatile boolean linkUp = true;
        final Map<NodePublicKey, InetSocketAddress> direct = new ConcurrentHashMap<>();
        final AtomicInteger udpSent = new AtomicInteger();

        FakeIo(InetSocketAddress self) {
            this.self = self;
        }

        @Override
        public void sendUdp(InetSocketAddress to, byte[] datagram) {
            udpSent.incrementAndGet();
            if (linkUp && to.equals(otherAddr)) {
                other.onUdp(self, datagram.clone());
            }
        }

        @Override
        public void sendRelayed(NodePublicKey peer, byte[] datagram) {
            other.onRelayedDisco(datagram.clone());
        }

        @Override
        public boolean publishEndpoints(List<InetSocketAddress> endpoints) {
            return true;
        }

        @Override
        public void useDirect(NodePublicKey peer, InetSocketAddress endpoint) {
            direct.put(peer, endpoint);
        }

        @Override
        public void useRelay(NodePublicKey peer) {
            direct.remove(peer);
        }
    }

    static PathOptions fast() {
        return new PathOptions(true, List.of(), false, Duration.ofMillis(100), Duration.ofMillis(500),
                Duration.ofMillis(300), Duration.ofSeconds(1), Duration.ofSeconds(60));
    }

    static void await(String what, Duration timeout, BooleanSupplier cond) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!cond.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("timed out after " + timeout + " waiting for " + what);
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
        }
    }

    @Test
    void punchesDirectFallsBackWhenCutAndUpgradesAgain() throws InterruptedException {
        NodePrivateKey ka = NodePrivateKey.generate();
        NodePrivateKey kb = NodePrivateKey.generate();
        FakeIo ioA = new FakeIo(ADDR_A);
        FakeIo ioB = new FakeIo(ADDR_B);
        try (PathManager a = new PathManager(ka, ADDR_A.getPort(), fast(), ioA);
                PathManager b = new PathManager(kb, ADDR_B.getPort(), fast(), ioB)) {
            ioA.other = b;
            ioA.otherAddr = ADDR_B;
            ioB.other = a;
            ioB.otherAddr = ADDR_A;
            a.start();
            b.start();
            a.onPeer(new PeerInfo("beta", kb.publicKey(), List.of(addr("100.64.0.3")), List.of(ADDR_B), true));
            b.onPeer(new PeerInfo("alpha", ka.publicKey(), List.of(addr("100.64.0.2")), List.of(ADDR_A), true));

            await("both direct", Duration.ofSeconds(5), () -> "direct".equals(a.status(kb.publicKey()).path())
                    && "direct".equals(b.status(ka.publicKey()).path()));
            assertThat(ioA.direct).containsEntry(kb.publicKey(), ADDR_B);
            assertThat(ioB.direct).containsEntry(ka.publicKey(), ADDR_A);
            assertThat(a.status(kb.publicKey()).endpoint()).isEqualTo("198.18.0.2:42000");
            assertThat(a.status(kb.publicKey()).firstDirectAfterMillis()).isGreaterThanOrEqualTo(0);
            PingReply p = a.ping(kb.publicKey(), 1, 1000);
            assertThat(p.path()).isEqualTo("direct");
            assertThat(p.rttMillis()).isGreaterThanOrEqualTo(0);

            ioA.linkUp = false;
            ioB.linkUp = false;
            await("fallback to the relay", Duration.ofSeconds(3), () -> "relay".equals(a.status(kb.publicKey()).path())
                    && "relay".equals(b.status(ka.publicKey()).path()));
            assertThat(ioA.direct).isEmpty();
            PingReply relayed = a.ping(kb.publicKey(), 2, 1000);
            assertThat(relayed.path()).isEqualTo("relay");
            assertThat(relayed.rttMillis()).as("disco ping through the relay").isGreaterThanOrEqualTo(0);

            ioA.linkUp = true;
            ioB.linkUp = true;
            await("direct again", Duration.ofSeconds(15), () -> "direct".equals(a.status(kb.publicKey()).path())
                    && "direct".equals(b.status(ka.publicKey()).path()));
            PeerPathStatus s = a.status(kb.publicKey());
            assertThat(s.toDirect()).isGreaterThanOrEqualTo(2);
            assertThat(s.toRelay()).isGreaterThanOrEqualTo(1);
        }
    }

    @Test
    void disabledStaysOnTheRelayAndSendsNoUdp() {
        NodePrivateKey ka = NodePrivateKey.generate();
        NodePrivateKey kb = NodePrivateKey.generate();
        FakeIo ioA = new FakeIo(ADDR_A);
        FakeIo ioB = new FakeIo(ADDR_B);
        try (PathManager a = new PathManager(ka, ADDR_A.getPort(), PathOptions.disabled(), ioA);
                PathManager b = new PathManager(kb, ADDR_B.getPort(), PathOptions.disabled(), ioB)) {
            ioA.other = b;
            ioA.otherAddr = ADDR_B;
            ioB.other = a;
            ioB.otherAddr = ADDR_A;
            a.start();
            b.start();
            a.onPeer(new PeerInfo("beta", kb.publicKey(), List.of(addr("100.64.0.3")), List.of(ADDR_B), true));
            b.onPeer(new PeerInfo("alpha", ka.publicKey(), List.of(addr("100.64.0.2")), List.of(ADDR_A), true));
            await("peer known", Duration.ofSeconds(2), () -> a.status(kb.publicKey()).onlineSinceEpochMillis() > 0);
            assertThat(a.status(kb.publicKey()).path()).isEqualTo("relay");
            assertThat(ioA.udpSent.get()).isZero();
        }
    }
}
