package dev.gridmesh.agent.dataplane;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gridmesh.agent.outside.ExtraSocket;
import dev.gridmesh.agent.tun.IpPackets;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A birthday-punched path on real loopback sockets: B's WireGuard traffic for A leaves and arrives on an extra socket
 * of B's data plane (what the hard side does after a spray), A talks to that socket's port as B's endpoint. The extra
 * socket's WireGuard datagrams reach B's engine; its other datagrams reach the given receiver.
 */
class DataPlaneExtraSocketTest {
    private static final byte[] A_IP = {100, 64, 0, 1};
    private static final byte[] B_IP = {100, 64, 0, 2};
    private static final Duration WAIT = Duration.ofSeconds(10);

    @ParameterizedTest(name = "epoll={0}")
    @ValueSource(booleans = {true, false})
    void wireGuardBothWaysThroughAnExtraSocket(boolean epoll) throws Exception {
        try (DataPlanePairTest.Pair p = DataPlanePairTest.pair(epoll, false, true)) {
            BlockingQueue<String> other = new ArrayBlockingQueue<>(16);
            ExtraSocket s = p.b().openExtraSocket((from, content) -> {
                byte[] b = new byte[content.readableBytes()];
                content.getBytes(content.readerIndex(), b);
                other.offer(from.getPort() + " " + new String(b));
            });
            assertThat(s.localPort()).isPositive().isNotEqualTo(p.b().listenPort());
            InetSocketAddress extraEp = new InetSocketAddress(InetAddress.getLoopbackAddress(), s.localPort());
            InetSocketAddress aEp = new InetSocketAddress(InetAddress.getLoopbackAddress(), p.a().listenPort());
            p.a().engine().setPeerEndpoint(p.b().engine().publicKey(), extraEp);
            p.b().engine().setPeerEndpoint(p.a().engine().publicKey(), aEp);
            p.b().setPeerSender(p.a().engine().publicKey(), (peer, endpoint, datagram) -> s.send(aEp, datagram));

            byte[] ping = IpPackets.ipv4Udp(A_IP, B_IP, 1, 2, "to the extra socket".getBytes());
            p.tunA().inject(ping);
            assertThat(p.tunB().awaitWritten(WAIT)).isEqualTo(ping);
            byte[] pong = IpPackets.ipv4Udp(B_IP, A_IP, 2, 1, "from the extra socket".getBytes());
            p.tunB().inject(pong);
            assertThat(p.tunA().awaitWritten(WAIT)).isEqualTo(pong);
            // A saw B's packets come from the extra socket's port (the endpoint it keeps)
            assertThat(p.a().status().peers().getFirst().endpoint()).isEqualTo(extraEp);

            // a non-WireGuard datagram on the extra socket goes to the receiver, not the engine
            try (DatagramSocket probe = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
                byte[] d = "GMdisco?".getBytes();
                probe.send(new DatagramPacket(d, d.length, extraEp));
                assertThat(other.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS)).isEqualTo(probe.getLocalPort() + " GMdisco?");
                // and the extra socket sends disco from its own port
                s.send(new InetSocketAddress(InetAddress.getLoopbackAddress(), probe.getLocalPort()), "pong".getBytes());
                DatagramPacket in = new DatagramPacket(new byte[64], 64);
                probe.setSoTimeout((int) WAIT.toMillis());
                probe.receive(in);
                assertThat(in.getPort()).isEqualTo(s.localPort());
                assertThat(new String(in.getData(), 0, in.getLength())).isEqualTo("pong");
            }
            s.close();
            long deadline = System.nanoTime() + WAIT.toNanos();
            while (s.isOpen() && System.nanoTime() < deadline) {
                java.util.concurrent.locks.LockSupport.parkNanos(1_000_000);
            }
            assertThat(s.isOpen()).isFalse();
        }
    }
}
