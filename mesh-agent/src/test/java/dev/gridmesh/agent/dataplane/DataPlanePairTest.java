package dev.gridmesh.agent.dataplane;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gridmesh.agent.tun.FakeTun;
import dev.gridmesh.agent.tun.IpPackets;
import dev.gridmesh.crypto.NodePrivateKey;
import dev.gridmesh.crypto.PresharedKey;
import dev.gridmesh.protocol.net.IpPrefix;
import dev.gridmesh.protocol.wg.WgPeerConfig;
import dev.gridmesh.protocol.wg.WgPeerStatus;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/**
 * Two data planes in one JVM, each on a {@link FakeTun}, talking real UDP over loopback (epoll or NIO, with and
 * without GSO): packets injected into one TUN come out of the other.
 */
class DataPlanePairTest {
    private static final byte[] A_IP = {100, 64, 0, 1};
    private static final byte[] B_IP = {100, 64, 0, 2};
    private static final Duration WAIT = Duration.ofSeconds(10);

    record Pair(DataPlane a, FakeTun tunA, DataPlane b, FakeTun tunB) implements AutoCloseable {
        @Override
        public void close() {
            a.close();
            b.close();
        }
    }

    static Pair pair(boolean epoll, boolean gso, boolean relayOnly) throws Exception {
        NodePrivateKey ka = NodePrivateKey.generate();
        NodePrivateKey kb = NodePrivateKey.generate();
        FakeTun tunA = new FakeTun("fakeA");
        FakeTun tunB = new FakeTun("fakeB");
        DataPlaneOptions optsB = DataPlaneOptions.withTun(n -> tunB).withEpoll(epoll).withGso(gso);
        DataPlaneOptions optsA = DataPlaneOptions.withTun(n -> tunA).withEpoll(epoll).withGso(gso);
        // B knows A's key but not its endpoint: it learns it from A's handshake (roaming)
        DataPlane b = DataPlane.start(DataPlaneConfig.of("fakeB", kb, List.of(IpPrefix.parse("100.64.0.2/32")), 0,
                List.of(new WgPeerConfig(ka.publicKey(), PresharedKey.NONE, List.of(IpPrefix.parse("100.64.0.1/32"),
                        IpPrefix.parse("fd7a:115c:a1e0::1/128")), null, 0))), optsB);
        InetSocketAddress bEndpoint = relayOnly ? null
                : new InetSocketAddress(InetAddress.getLoopbackAddress(), b.listenPort());
        DataPlane a = DataPlane.start(DataPlaneConfig.of("fakeA", ka, List.of(IpPrefix.parse("100.64.0.1/32")), 0,
                List.of(new WgPeerConfig(kb.publicKey(), PresharedKey.NONE, List.of(IpPrefix.parse("100.64.0.0/24"),
                        IpPrefix.parse("fd7a:115c:a1e0::/64")), bEndpoint, 0))), optsA);
        return new Pair(a, tunA, b, tunB);
    }

    /** Bounded poll (1 ms pauses) for a counter another thread bumps; no fixed sleep. */
    private static void await(java.util.function.BooleanSupplier condition) {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!condition.getAsBoolean() && System.nanoTime() < deadline) {
            java.util.concurrent.locks.LockSupport.parkNanos(1_000_000);
        }
    }

    @ParameterizedTest(name = "epoll={0} gso={1}")
    @CsvSource({"true,true", "true,false", "false,false"})
    void packetsCrossBothWays(boolean epoll, boolean gso) throws Exception {
        try (Pair p = pair(epoll, gso, false)) {
            byte[] ping = IpPackets.ipv4Udp(A_IP, B_IP, 1111, 2222, "hello from A".getBytes());
            p.tunA().inject(ping);
            assertThat(p.tunB().awaitWritten(WAIT)).isEqualTo(ping);

            byte[] pong = IpPackets.ipv4Udp(B_IP, A_IP, 2222, 1111, "hello from B".getBytes());
            p.tunB().inject(pong);
            assertThat(p.tunA().awaitWritten(WAIT)).isEqualTo(pong);

            byte[] v6 = IpPackets.ipv6Udp(IpPrefix.parseAddress("fd7a:115c:a1e0::1"),
                    IpPrefix.parseAddress("fd7a:115c:a1e0::2"), 3, 4, "over IPv6".getBytes());
            p.tunA().inject(v6);
            assertThat(p.tunB().awaitWritten(WAIT)).isEqualTo(v6);
            byte[] v6back = IpPackets.ipv6Udp(IpPrefix.parseAddress("fd7a:115c:a1e0::2"),
                    IpPrefix.parseAddress("fd7a:115c:a1e0::1"), 4, 3, "and back".getBytes());
            p.tunB().inject(v6back);
            assertThat(p.tunA().awaitWritten(WAIT)).isEqualTo(v6back);

            // a burst bigger than one TUN batch, in full-size packets: exercises batching and GSO runs
            int n = 500;
            for (int i = 0; i < n; i++) {
                byte[] payload = new byte[1372];
                ByteBuffer.wrap(payload).putInt(i);
                p.tunA().inject(IpPackets.ipv4Udp(A_IP, B_IP, 1111, 2222, payload));
            }
            int got = 0;
            boolean[] seen = new boolean[n];
            while (got < n) {
                byte[] r = p.tunB().awaitWritten(WAIT);
                if (r == null) {
                    throw new AssertionError("packet " + got + " of " + n + " missing; drops A " + p.a().status().drops()
                            + ", B " + p.b().status().drops());
                }
                assertThat(r).hasSize(1400);
                seen[ByteBuffer.wrap(r, 28, 4).getInt()] = true;
                got++;
            }
            for (boolean s : seen) {
                assertThat(s).isTrue();
            }

            DataPlaneStatus sa = p.a().status();
            assertThat(sa.transport()).isEqualTo(epoll ? "epoll" : "nio");
            WgPeerStatus peerB = sa.peers().getFirst();
            assertThat(peerB.lastHandshakeEpochMillis()).isPositive();
            assertThat(peerB.txBytes()).isGreaterThan(500L * 1400);
            WgPeerStatus peerA = p.b().status().peers().getFirst();
            assertThat(peerA.endpoint()).isEqualTo(new InetSocketAddress(InetAddress.getLoopbackAddress(),
                    p.a().listenPort()));
            assertThat(sa.drops()).doesNotContainKeys("io.TUN_WRITE_FAILED", "io.UDP_QUEUE_FULL");
        }
    }

    @Test
    void peerSenderAndInjectRelayedCarryTrafficWithoutUdp() throws Exception {
        try (Pair p = pair(true, true, true)) {
            var relayed = new java.util.concurrent.atomic.AtomicInteger();
            p.a().setPeerSender(p.b().engine().publicKey(), (peer, endpoint, datagram) -> {
                relayed.incrementAndGet();
                p.b().injectRelayed(datagram);
            });
            p.b().setPeerSender(p.a().engine().publicKey(), (peer, endpoint, datagram) -> {
                relayed.incrementAndGet();
                p.a().injectRelayed(datagram);
            });
            byte[] ping = IpPackets.ipv4Udp(A_IP, B_IP, 1, 2, "via relay".getBytes());
            p.tunA().inject(ping);
            assertThat(p.tunB().awaitWritten(WAIT)).isEqualTo(ping);
            byte[] pong = IpPackets.ipv4Udp(B_IP, A_IP, 2, 1, "back via relay".getBytes());
            p.tunB().inject(pong);
            assertThat(p.tunA().awaitWritten(WAIT)).isEqualTo(pong);
            assertThat(relayed.get()).isGreaterThanOrEqualTo(4); // initiation, response, two data packets
            // relayed datagrams never set an endpoint (no roaming through the relay)
            assertThat(p.b().status().peers().getFirst().endpoint()).isNull();
        }
    }

    @Test
    void aThrowingHookIsCountedAndTheDataPlaneCarriesOn() throws Exception {
        try (Pair p = pair(true, true, true)) {
            p.a().setPeerSender(p.b().engine().publicKey(), (peer, endpoint, datagram) -> {
                throw new IllegalStateException("relay hook bug");
            });
            p.tunA().inject(IpPackets.ipv4Udp(A_IP, B_IP, 1, 2, "lost".getBytes()));
            await(() -> p.a().ioDrops(IoDrop.INTERNAL_ERROR) > 0);
            assertThat(p.a().ioDrops(IoDrop.INTERNAL_ERROR)).isPositive();
            // repaired hook: traffic flows again through the same threads
            p.a().setPeerSender(p.b().engine().publicKey(), (peer, endpoint, datagram) -> p.b().injectRelayed(datagram));
            p.b().setPeerSender(p.a().engine().publicKey(), (peer, endpoint, datagram) -> p.a().injectRelayed(datagram));
            byte[] ping = IpPackets.ipv4Udp(A_IP, B_IP, 1, 2, "after the fix".getBytes());
            p.tunA().inject(ping);
            byte[] got;
            do {
                got = p.tunB().awaitWritten(WAIT);
                assertThat(got).as("packet after the hook was fixed").isNotNull();
            } while (!java.util.Arrays.equals(got, ping)); // the staged "lost" packet may arrive first
            assertThat(p.a().status().drops()).containsKey("io.INTERNAL_ERROR");
        }
    }

    @Test
    void nonWireGuardDatagramsGoToTheHookOrAreCounted() throws Exception {
        try (Pair p = pair(true, false, false);
                var sock = new java.net.DatagramSocket(0, InetAddress.getLoopbackAddress())) {
            var target = new InetSocketAddress(InetAddress.getLoopbackAddress(), p.b().listenPort());
            byte[] stunLike = {0, 1, 0, 0, 0x21, 0x12, (byte) 0xa4, 0x42, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
            sock.send(new java.net.DatagramPacket(stunLike, stunLike.length, target));
            await(() -> p.b().ioDrops(IoDrop.NOT_WIREGUARD) > 0);
            assertThat(p.b().ioDrops(IoDrop.NOT_WIREGUARD)).isEqualTo(1);

            var hooked = new java.util.concurrent.LinkedBlockingQueue<Integer>();
            p.b().setNonWireGuardReceiver((from, content) -> hooked.add(content.readableBytes()));
            sock.send(new java.net.DatagramPacket(stunLike, stunLike.length, target));
            assertThat(hooked.poll(WAIT.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)).isEqualTo(20);
        }
    }

    @Test
    void closeStopsEverythingAndIsIdempotent() throws Exception {
        Pair p = pair(true, true, false);
        p.close();
        assertThat(p.tunA().isClosed()).isTrue();
        assertThat(p.tunB().isClosed()).isTrue();
        p.close();
        assertThat(Thread.getAllStackTraces().keySet().stream().map(Thread::getName)
                .filter(n -> n.equals("wg-inside-fakeA") || n.equals("wg-outside-fakeA"))).isEmpty();
    }
}
