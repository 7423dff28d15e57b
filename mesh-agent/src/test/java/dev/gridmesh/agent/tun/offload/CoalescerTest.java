package dev.gridmesh.agent.tun.offload;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class CoalescerTest {
    private final List<ByteBuffer> frames = new ArrayList<>();
    private final List<Integer> counts = new ArrayList<>();

    private void flush(Coalescer c) {
        c.flush((f, n) -> {
            ByteBuffer copy = ByteBuffer.allocateDirect(f.remaining());
            copy.put(0, f, f.position(), f.remaining());
            frames.add(copy);
            counts.add(n);
        });
    }

    private static ByteBuffer seg(int seq, int ack, int flags, int len, int srcPort) {
        byte[] p = new byte[len];
        for (int i = 0; i < len; i++) {
            p[i] = (byte) (seq + i);
        }
        return TcpFrames.packet(false, seq, seq, ack, flags, new byte[0], p, srcPort, true);
    }

    @Test
    void mergesInOrderSegmentsOfOneFlowIntoOneGsoFrame() {
        Coalescer c = new Coalescer(4, 16, 2048);
        List<ByteBuffer> in = List.of(seg(0, 9, TcpFrames.ACK, 1000, 1), seg(1000, 9, TcpFrames.ACK, 1000, 1),
                seg(2000, 9, TcpFrames.ACK | TcpFrames.PSH, 500, 1));
        in.forEach(c::add);
        flush(c);
        assertThat(frames).hasSize(1);
        assertThat(counts).containsExactly(3);
        ByteBuffer f = frames.get(0);
        assertThat(f.get(1)).isEqualTo((byte) VnetHeader.GSO_TCPV4);
        assertThat(VnetHeader.u16le(f, 4)).isEqualTo(1000);
        List<ByteBuffer> again = TcpFrames.segment(f, 2047);
        assertThat(again).hasSize(3);
        for (int i = 0; i < 3; i++) {
            // the kernel would number IPv4 ids from the head's: our test ids equal seq, so compare without them
            assertThat(Checksums.tcpValid(again.get(i), 0, 20, again.get(i).remaining())).isTrue();
            assertThat(again.get(i).getInt(24)).isEqualTo(in.get(i).getInt(24));
        }
        assertThat(TcpFrames.bytes(again.get(0))).isEqualTo(TcpFrames.bytes(in.get(0)));
    }

    @Test
    void keepsFlowsApartAndOrderOfArrival() {
        Coalescer c = new Coalescer(4, 16, 2048);
        c.add(seg(0, 9, TcpFrames.ACK, 1000, 1));
        c.add(seg(0, 9, TcpFrames.ACK, 1000, 2));
        c.add(seg(1000, 9, TcpFrames.ACK, 1000, 1));
        c.add(seg(5000, 9, TcpFrames.ACK, 1000, 2)); // a gap: a new item
        c.add(seg(1000, 10, TcpFrames.ACK, 1000, 2)); // another ACK number: another flow
        flush(c);
        assertThat(counts).containsExactly(2, 1, 1, 1);
        assertThat(frames.get(1).get(1)).isEqualTo((byte) 0);
    }

    @Test
    void nothingFollowsPshOrAShortSegmentAndBadChecksumsAreNotMerged() {
        Coalescer c = new Coalescer(4, 16, 2048);
        c.add(seg(0, 9, TcpFrames.ACK | TcpFrames.PSH, 1000, 1));
        c.add(seg(1000, 9, TcpFrames.ACK, 1000, 1)); // after PSH: new item
        c.add(seg(2000, 9, TcpFrames.ACK, 400, 1));
        c.add(seg(2400, 9, TcpFrames.ACK, 1000, 1)); // after a short one: new item
        ByteBuffer bad = seg(3400, 9, TcpFrames.ACK, 1000, 1);
        bad.put(100, (byte) (bad.get(100) + 1));
        c.add(bad);
        flush(c);
        assertThat(counts).containsExactly(1, 2, 1, 1);
        assertThat(TcpFrames.bytes(frames.get(3)).length).isEqualTo(VnetHeader.LENGTH + 1040);
    }

    @Test
    void saysWhenItIsFullAndDropsWhatNoBufferHolds() {
        Coalescer c = new Coalescer(0, 2, 100);
        byte[] small = new byte[50];
        assertThat(c.add(ByteBuffer.wrap(small))).isTrue();
        assertThat(c.add(ByteBuffer.wrap(small))).isTrue();
        assertThat(c.add(ByteBuffer.wrap(small))).isFalse();
        assertThat(c.add(ByteBuffer.wrap(new byte[101]))).isTrue();
        assertThat(c.drops(OffloadDrop.PACKET_TOO_BIG)).isEqualTo(1);
        flush(c);
        assertThat(frames).hasSize(2);
        assertThat(c.isEmpty()).isTrue();
    }
}
