package dev.gridmesh.agent.tun.offload;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.List;
import org.junit.jupiter.api.Test;

class SegmenterTest {
    private static byte[] payload(int n) {
        byte[] p = new byte[n];
        for (int i = 0; i < n; i++) {
            p[i] = (byte) (i * 7 + 3);
        }
        return p;
    }

    @Test
    void cutsAnIpv4SuperPacketIntoMssSegments() {
        byte[] data = payload(5000);
        ByteBuffer frame = TcpFrames.gsoFrame(false, 100, 1_000_000, 77, TcpFrames.ACK | TcpFrames.PSH | TcpFrames.FIN,
                new byte[0], data, 1380);
        List<ByteBuffer> segs = TcpFrames.segment(frame, 2047);
        assertThat(segs).hasSize(4);
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        for (int i = 0; i < segs.size(); i++) {
            ByteBuffer s = segs.get(i);
            assertThat(s.remaining()).isEqualTo(40 + (i < 3 ? 1380 : 5000 - 3 * 1380));
            assertThat(s.getShort(2) & 0xffff).isEqualTo(s.remaining());
            assertThat(s.getShort(4) & 0xffff).isEqualTo(100 + i);
            assertThat(TcpFrames.ipv4HeaderValid(s)).isTrue();
            assertThat(Checksums.tcpValid(s, 0, 20, s.remaining())).isTrue();
            assertThat(s.getInt(24)).isEqualTo(1_000_000 + i * 1380);
            int flags = s.get(33) & 0xff;
            assertThat(flags).isEqualTo(i == 3 ? TcpFrames.ACK | TcpFrames.PSH | TcpFrames.FIN : TcpFrames.ACK);
            all.write(TcpFrames.bytes(s), 40, s.remaining() - 40);
        }
        assertThat(all.toByteArray()).isEqualTo(data);
    }

    @Test
    void cutsAnIpv6SuperPacketWithOptionsAndWrapsTheSequenceNumber() {
        byte[] data = payload(3000);
        byte[] opts = {1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2};
        ByteBuffer frame = TcpFrames.gsoFrame(true, 0, -100, 5, TcpFrames.ACK | TcpFrames.CWR, opts, data, 1000);
        List<ByteBuffer> segs = TcpFrames.segment(frame, 2047);
        assertThat(segs).hasSize(3);
        for (int i = 0; i < 3; i++) {
            ByteBuffer s = segs.get(i);
            assertThat(s.getShort(4) & 0xffff).isEqualTo(32 + 1000);
            assertThat(Checksums.tcpValid(s, 0, 40, s.remaining())).isTrue();
            assertThat(s.getInt(44)).isEqualTo(-100 + i * 1000);
            assertThat(s.get(53) & 0xff).isEqualTo(i == 0 ? TcpFrames.ACK | TcpFrames.CWR : TcpFrames.ACK);
        }
    }

    @Test
    void completesAPartialChecksumWithoutGso() {
        ByteBuffer p = TcpFrames.packet(false, 1, 5, 6, TcpFrames.ACK, new byte[0], payload(99), 1234, false);
        ByteBuffer frame = TcpFrames.plainFrame(p);
        VnetHeader.put(frame, 0, VnetHeader.F_NEEDS_CSUM, VnetHeader.GSO_NONE, 0, 0, 20, 16);
        List<ByteBuffer> out = TcpFrames.segment(frame, 2047);
        assertThat(out).hasSize(1);
        assertThat(Checksums.tcpValid(out.get(0), 0, 20, out.get(0).remaining())).isTrue();
    }

    @Test
    void completesAPartialUdpChecksum() {
        int len = 20 + 8 + 77;
        ByteBuffer p = ByteBuffer.allocateDirect(len);
        p.put(0, (byte) 0x45).putShort(2, (short) len).put(8, (byte) 64).put(9, (byte) 17)
                .putInt(12, 0x64400001).putInt(16, 0x64400002);
        Checksums.fixIpv4Header(p, 0, 20);
        p.putShort(20, (short) 5353).putShort(22, (short) 53).putShort(24, (short) (len - 20));
        for (int i = 28; i < len; i++) {
            p.put(i, (byte) i);
        }
        p.putShort(26, (short) Checksums.fold(Checksums.pseudoHeader(p, 0, 17, len - 20)));
        ByteBuffer frame = TcpFrames.plainFrame(p);
        VnetHeader.put(frame, 0, VnetHeader.F_NEEDS_CSUM, VnetHeader.GSO_NONE, 0, 0, 20, 6);
        ByteBuffer out = TcpFrames.segment(frame, 2047).get(0);
        assertThat(out.getShort(26)).isNotZero();
        assertThat(Checksums.fold(Checksums.sum(out, 20, len, Checksums.pseudoHeader(out, 0, 17, len - 20))))
                .isEqualTo(0xffff);
    }

    @Test
    void passesAPlainPacketThroughUnchanged() {
        ByteBuffer p = TcpFrames.packet(false, 1, 5, 6, TcpFrames.ACK, new byte[0], payload(10), 1234, true);
        List<ByteBuffer> out = TcpFrames.segment(TcpFrames.plainFrame(p), 2047);
        assertThat(TcpFrames.bytes(out.get(0))).isEqualTo(TcpFrames.bytes(p));
    }

    @Test
    void countsBadFramesAsDrops() {
        Segmenter s = new Segmenter();
        assertThat(s.begin(ByteBuffer.allocateDirect(10), 2047)).isZero();
        assertThat(s.drops(OffloadDrop.BAD_VNET_HDR)).isEqualTo(1);

        ByteBuffer udpGso = TcpFrames.gsoFrame(false, 1, 1, 1, TcpFrames.ACK, new byte[0], payload(3000), 1000);
        udpGso.put(1, (byte) 5); // GSO_UDP_L4
        assertThat(s.begin(udpGso, 2047)).isZero();
        assertThat(s.drops(OffloadDrop.UNSUPPORTED_GSO)).isEqualTo(1);

        ByteBuffer badStart = TcpFrames.gsoFrame(false, 1, 1, 1, TcpFrames.ACK, new byte[0], payload(3000), 1000);
        badStart.put(6, (byte) 24); // csum_start != IP header length
        assertThat(s.begin(badStart, 2047)).isZero();
        assertThat(s.drops(OffloadDrop.MALFORMED_PACKET)).isEqualTo(1);

        ByteBuffer bigMss = TcpFrames.gsoFrame(false, 1, 1, 1, TcpFrames.ACK, new byte[0], payload(9000), 4000);
        assertThat(s.begin(bigMss, 2047)).isZero();
        assertThat(s.drops(OffloadDrop.PACKET_TOO_BIG)).isEqualTo(1);

        ByteBuffer csumOutside = TcpFrames.plainFrame(ByteBuffer.allocateDirect(30));
        VnetHeader.put(csumOutside, 0, VnetHeader.F_NEEDS_CSUM, VnetHeader.GSO_NONE, 0, 0, 20, 16);
        assertThat(s.begin(csumOutside, 2047)).isZero();
        assertThat(s.drops(OffloadDrop.BAD_VNET_HDR)).isEqualTo(2);
    }
}
