package dev.gridmesh.agent.outside;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.socket.DatagramPacket;
import io.netty.channel.unix.SegmentedDatagramPacket;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class OutboundBatchTest {
    private static final InetSocketAddress P1 = new InetSocketAddress("198.18.0.1", 51820);
    private static final InetSocketAddress P2 = new InetSocketAddress("198.18.0.2", 51820);
    private final UnpooledByteBufAllocator alloc = new UnpooledByteBufAllocator(true, true);

    private static ByteBuffer datagram(int len, int tag) {
        ByteBuffer b = ByteBuffer.allocateDirect(len);
        for (int i = 0; i < len; i++) {
            b.put(i, (byte) tag);
        }
        return b;
    }

    private static List<Object> written(OutboundBatch batch) {
        EmbeddedChannel ch = new EmbeddedChannel();
        batch.writeAndFlush(ch);
        List<Object> out = new ArrayList<>();
        Object o;
        while ((o = ch.readOutbound()) != null) {
            out.add(o);
        }
        ch.finishAndReleaseAll();
        return out;
    }

    @Test
    void gsoCoalescesEqualSizedRunsPerEndpoint() {
        OutboundBatch b = new OutboundBatch(alloc, true, 8);
        b.add(P1, datagram(1452, 1), 7);
        b.add(P1, datagram(1452, 2), 6);
        b.add(P1, datagram(1000, 3), 5); // shorter: allowed as the run's last segment
        b.add(P1, datagram(1452, 4), 4); // new run: the previous one is closed
        b.add(P2, datagram(1452, 5), 3); // other endpoint: new run
        b.add(P2, datagram(1500, 6), 2); // longer than the segment size: new run
        assertThat(b.datagrams()).isEqualTo(6);
        List<Object> out = written(b);
        assertThat(out).hasSize(4);
        SegmentedDatagramPacket first = (SegmentedDatagramPacket) out.get(0);
        assertThat(first.segmentSize()).isEqualTo(1452);
        assertThat(first.recipient()).isEqualTo(P1);
        assertThat(first.content().readableBytes()).isEqualTo(1452 * 2 + 1000);
        assertThat(first.content().getByte(1452)).isEqualTo((byte) 2);
        assertThat(first.content().getByte(2 * 1452)).isEqualTo((byte) 3);
        assertThat(out.get(1)).isNotInstanceOf(SegmentedDatagramPacket.class);
        assertThat(((DatagramPacket) out.get(2)).recipient()).isEqualTo(P2);
        assertThat(((DatagramPacket) out.get(3)).content().readableBytes()).isEqualTo(1500);
        out.forEach(io.netty.util.ReferenceCountUtil::release);
    }

    @Test
    void runsStopAtTheSegmentLimit() {
        OutboundBatch b = new OutboundBatch(alloc, true, 100);
        for (int i = 0; i < 100; i++) {
            b.add(P1, datagram(200, i), 99 - i);
        }
        List<Object> out = written(b);
        assertThat(out).hasSize(2);
        assertThat(((SegmentedDatagramPacket) out.get(0)).content().readableBytes()).isEqualTo(64 * 200);
        assertThat(((SegmentedDatagramPacket) out.get(1)).content().readableBytes()).isEqualTo(36 * 200);
        out.forEach(io.netty.util.ReferenceCountUtil::release);
    }

    @Test
    void withoutGsoEveryDatagramIsItsOwnPacketAndTheSourceIsNotConsumed() {
        OutboundBatch b = new OutboundBatch(alloc, false, 3);
        ByteBuffer d = datagram(100, 9);
        b.add(P1, d, 2);
        b.add(P1, d, 1);
        assertThat(d.remaining()).isEqualTo(100);
        List<Object> out = written(b);
        assertThat(out).hasSize(2).allSatisfy(o -> assertThat(o).isNotInstanceOf(SegmentedDatagramPacket.class));
        out.forEach(io.netty.util.ReferenceCountUtil::release);
    }

    @Test
    void releaseFreesUnsentBuffers() {
        OutboundBatch b = new OutboundBatch(alloc, true, 2);
        b.add(P1, datagram(100, 1), 1);
        b.add(P2, datagram(100, 2), 0);
        b.release();
        assertThat(b.sends()).isZero();
    }
}
