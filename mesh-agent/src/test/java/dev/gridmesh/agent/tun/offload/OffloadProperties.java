package dev.gridmesh.agent.tun.offload;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

class OffloadProperties {
    private static final int MAX_PACKET = 2047;

    record Super(boolean v6, int id, int seq, int ack, int flags, byte[] options, byte[] payload, int mss) {
        ByteBuffer frame() {
            return TcpFrames.gsoFrame(v6, id, seq, ack, flags, options, payload, mss);
        }

        int headers() {
            return (v6 ? 40 : 20) + 20 + options.length;
        }
    }

    @Provide
    Arbitrary<Super> supers() {
        Arbitrary<byte[]> options = Arbitraries.integers().between(0, 10)
                .flatMap(words -> Arbitraries.bytes().array(byte[].class).ofSize(words * 4));
        Arbitrary<Integer> flags = Arbitraries.of(TcpFrames.ACK, TcpFrames.ACK | TcpFrames.PSH,
                TcpFrames.ACK | TcpFrames.FIN, TcpFrames.ACK | TcpFrames.PSH | TcpFrames.FIN,
                TcpFrames.ACK | TcpFrames.CWR);
        return Combinators.combine(Arbitraries.of(false, true), Arbitraries.integers().between(0, 65535),
                Arbitraries.integers(), Arbitraries.integers(), flags, options,
                Arbitraries.integers().between(1, 60_000), Arbitraries.integers().between(64, 1440))
                .as((v6, id, seq, ack, f, o, len, mss) -> {
                    byte[] p = new byte[Math.min(len, 65535 - (v6 ? 40 : 20) - 20 - o.length)];
                    for (int i = 0; i < p.length; i++) {
                        p[i] = (byte) (i * 31 + seq);
                    }
                    return new Super(v6, id, seq, ack, f, o, p, mss);
                });
    }

    @Property(tries = 200)
    void segmentsCarryValidChecksumsAndThePayloadInOrder(@ForAll("supers") Super s) {
        List<ByteBuffer> segs = TcpFrames.segment(s.frame(), MAX_PACKET);
        int iph = s.v6() ? 40 : 20;
        assertThat(segs).hasSize((s.payload().length + s.mss() - 1) / s.mss());
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        for (int i = 0; i < segs.size(); i++) {
            ByteBuffer p = segs.get(i);
            if (!s.v6()) {
                assertThat(TcpFrames.ipv4HeaderValid(p)).isTrue();
                assertThat(p.getShort(2) & 0xffff).isEqualTo(p.remaining());
            } else {
                assertThat(p.getShort(4) & 0xffff).isEqualTo(p.remaining() - 40);
            }
            assertThat(Checksums.tcpValid(p, 0, iph, p.remaining())).isTrue();
            assertThat(p.getInt(iph + 4)).isEqualTo(s.seq() + i * s.mss());
            int flags = p.get(iph + 13) & 0xff;
            boolean last = i == segs.size() - 1;
            assertThat(flags & (TcpFrames.PSH | TcpFrames.FIN)).isEqualTo(last ? s.flags() & 0x09 : 0);
            all.write(TcpFrames.bytes(p), s.headers(), p.remaining() - s.headers());
        }
        assertThat(all.toByteArray()).isEqualTo(s.payload());
    }

    @Property(tries = 200)
    void coalescingSegmentsThenSegmentingAgainGivesTheSamePackets(@ForAll("supers") Super s) {
        List<ByteBuffer> segs = TcpFrames.segment(s.frame(), MAX_PACKET);
        Coalescer c = new Coalescer(8, 64, MAX_PACKET);
        List<ByteBuffer> again = new ArrayList<>();
        Coalescer.FrameSink sink = (f, n) -> {
            List<ByteBuffer> out = TcpFrames.segment(f, MAX_PACKET);
            assertThat(out).hasSize(n);
            again.addAll(out);
        };
        for (ByteBuffer p : segs) {
            if (!c.add(p)) {
                c.flush(sink);
                assertThat(c.add(p)).isTrue();
            }
        }
        c.flush(sink);
        assertThat(again).hasSameSizeAs(segs);
        for (int i = 0; i < segs.size(); i++) {
            assertThat(TcpFrames.bytes(again.get(i))).isEqualTo(TcpFrames.bytes(segs.get(i)));
        }
    }

    @Property(tries = 300)
    void malformedFramesAreCountedDropsNeverExceptions(@ForAll("supers") Super s,
            @ForAll("mutations") List<int[]> mutations) {
        ByteBuffer f = s.frame();
        int len = f.capacity();
        for (int[] m : mutations) {
            int at = m[0] % Math.min(len, 100); // headers: the vnet header, IP and TCP
            f.put(at, (byte) m[1]);
        }
        if (!mutations.isEmpty() && mutations.get(0)[2] % 3 == 0) {
            f.limit(mutations.get(0)[2] % len); // truncated
        }
        Segmenter seg = new Segmenter();
        int n = seg.begin(f, MAX_PACKET);
        long dropped = 0;
        for (OffloadDrop d : OffloadDrop.values()) {
            dropped += seg.drops(d);
        }
        assertThat(n == 0).isEqualTo(dropped == 1);
        Coalescer c = new Coalescer(2, 4, MAX_PACKET);
        for (int i = 0; i < n; i++) {
            ByteBuffer out = ByteBuffer.allocateDirect(MAX_PACKET);
            seg.emit(i, out);
            assertThat(out.remaining()).isBetween(1, MAX_PACKET);
            if (!c.add(out)) {
                c.flush((fr, k) -> TcpFrames.segment(fr, 65535));
                c.add(out);
            }
        }
        c.add(f.position(VnetHeader.LENGTH > f.limit() ? f.limit() : VnetHeader.LENGTH));
        c.flush((fr, k) -> assertThat(TcpFrames.segment(fr, 65535)).hasSize(k));
    }

    @Provide
    Arbitrary<List<int[]>> mutations() {
        return Combinators.combine(Arbitraries.integers().between(0, 1 << 20), Arbitraries.integers().between(0, 255),
                Arbitraries.integers().between(0, 1 << 20)).as((a, b, c) -> new int[] {a, b, c}).list().ofMaxSize(4);
    }

    @Property(tries = 300)
    void randomBytesNeverThrow(@ForAll("randomFrames") byte[] bytes) {
        ByteBuffer f = ByteBuffer.allocateDirect(bytes.length);
        f.put(0, bytes);
        Segmenter s = new Segmenter();
        int n = s.begin(f, MAX_PACKET);
        for (int i = 0; i < n; i++) {
            s.emit(i, ByteBuffer.allocateDirect(MAX_PACKET));
        }
        Coalescer c = new Coalescer(1, 2, MAX_PACKET);
        c.add(f);
        c.add(f);
        c.flush((fr, k) -> assertThat(k).isEqualTo(1));
    }

    @Provide
    Arbitrary<byte[]> randomFrames() {
        Arbitrary<byte[]> raw = Arbitraries.bytes().array(byte[].class).ofMinSize(0).ofMaxSize(200);
        Arbitrary<byte[]> tcpish = raw.map(b -> {
            if (b.length > 12) {
                b[10] = (byte) ((b[0] & 1) == 0 ? 0x45 : 0x60);
                b[1] = (byte) (b[1] & 0x05);
            }
            return b;
        });
        return Arbitraries.oneOf(raw, tcpish);
    }
}
