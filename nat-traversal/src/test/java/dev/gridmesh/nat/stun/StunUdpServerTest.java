package dev.gridmesh.nat.stun;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gridmesh.nat.classify.MappingBehavior;
import dev.gridmesh.nat.classify.NatProbe;
import dev.gridmesh.nat.classify.NatReport;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The Netty UDP server on loopback (port 0), with the classifier driving our client over a real socket. */
class StunUdpServerTest {
    final InetAddress lo = InetAddress.getLoopbackAddress();

    @Test
    void twoPortsNameEachOtherAndTheProbeFollowsOtherAddress() throws Exception {
        StunServer engine = new StunServer("gridmesh-test", null);
        try (StunUdpServer udp = StunUdpServer.bind(engine, new InetSocketAddress(lo, 0), new InetSocketAddress(lo, 0));
                DatagramChannel ch = DatagramChannel.open();
                Selector sel = Selector.open()) {
            assertThat(udp.localAddresses()).hasSize(2).doesNotHaveDuplicates();
            assertThat(udp.channelType().getSimpleName())
                    .isEqualTo(StunUdpServer.epollAvailable() ? "EpollDatagramChannel" : "NioDatagramChannel");
            ch.bind(new InetSocketAddress(lo, 0)).configureBlocking(false).register(sel, SelectionKey.OP_READ);
            NatProbe probe = new NatProbe(new StunClient(StunClientConfig.interactive(), new SplittableRandom(1)),
                    List.of(udp.localAddresses().getFirst()), Set.of((InetSocketAddress) ch.getLocalAddress()));
            probe.start(System.nanoTime());
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
            ByteBuffer buf = ByteBuffer.allocate(2048);
            while (!probe.isDone() && System.nanoTime() - deadline < 0) {
                for (StunClient.Transmit t; (t = probe.pollTransmit()) != null; ) {
                    ch.send(ByteBuffer.wrap(t.datagram()), t.destination());
                }
                long waitMs = Math.max(1, Math.min(1000, TimeUnit.NANOSECONDS.toMillis(probe.pollTimeout() - System.nanoTime())));
                sel.select(waitMs);
                sel.selectedKeys().clear();
                for (InetSocketAddress from; (from = (InetSocketAddress) ch.receive(buf.clear())) != null; ) {
                    probe.handleDatagram(from, buf.flip(), System.nanoTime());
                }
                if (probe.pollTimeout() - System.nanoTime() <= 0) {
                    probe.handleTimeout(System.nanoTime());
                }
            }
            NatReport r = probe.report();
            assertThat(r.udp()).isTrue();
            assertThat(r.mapping()).isEqualTo(MappingBehavior.NO_NAT);
            assertThat(r.observations()).extracting(o -> o.server()).containsExactlyElementsOf(udp.localAddresses());
            assertThat(r.bestRtt()).hasValueSatisfying(d -> assertThat(d).isLessThan(Duration.ofSeconds(2)));
            assertThat(engine.successes()).isEqualTo(2);
        }
    }

    @Test
    void bindFailureIsAnIoExceptionAndLeavesNothingBound() throws Exception {
        try (DatagramChannel taken = DatagramChannel.open()) {
            taken.bind(new InetSocketAddress(lo, 0));
            InetSocketAddress busy = (InetSocketAddress) taken.getLocalAddress();
            org.assertj.core.api.Assertions.assertThatThrownBy(
                    () -> StunUdpServer.bind(new StunServer(), new InetSocketAddress(lo, 0), busy))
                    .isInstanceOf(java.net.BindException.class).hasMessageContaining(busy.toString());
        }
    }
}
