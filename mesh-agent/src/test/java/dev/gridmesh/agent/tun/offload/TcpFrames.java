package dev.gridmesh.agent.tun.offload;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/** Builds TCP packets and kernel-style GSO frames (virtio_net_hdr + super-packet with a partial checksum) for tests. */
final class TcpFrames {
    static final int ACK = 0x10;
    static final int PSH = 0x08;
    static final int FIN = 0x01;
    static final int CWR = 0x80;

    private TcpFrames() {
    }

    /** One IP/TCP packet; {@code fullChecksum}: a complete TCP checksum, else the pseudo-header sum (partial). */
    static ByteBuffer packet(boolean v6, int id, int seq, int ack, int flags, byte[] options, byte[] payload,
            int srcPort, boolean fullChecksum) {
        int iph = v6 ? 40 : 20;
        int tcph = 20 + options.length;
        int len = iph + tcph + payload.length;
        ByteBuffer b = ByteBuffer.allocateDirect(len);
        if (v6) {
            b.putInt(0, 0x60012345).putShort(4, (short) (len - 40)).put(6, (byte) 6).put(7, (byte) 64);
            for (int i = 0; i < 16; i++) {
                b.put(8 + i, (byte) (0xfd + i)).put(24 + i, (byte) (0x20 + i));
            }
        } else {
            b.put(0, (byte) 0x45).put(1, (byte) 0).putShort(2, (short) len).putShort(4, (short) id)
                    .putShort(6, (short) 0x4000).put(8, (byte) 64).put(9, (byte) 6)
                    .putInt(12, 0x64400001).putInt(16, 0x64400002);
            Checksums.fixIpv4Header(b, 0, 20);
        }
        b.putShort(iph, (short) srcPort).putShort(iph + 2, (short) 5201).putInt(iph + 4, seq).putInt(iph + 8, ack)
                .put(iph + 12, (byte) ((tcph / 4) << 4)).put(iph + 13, (byte) flags).putShort(iph + 14, (short) 502);
        b.put(iph + 20, options).put(iph + tcph, payload);
        int pseudo = Checksums.fold(Checksums.pseudoHeader(b, 0, Checksums.PROTO_TCP, len - iph));
        if (fullChecksum) {
            b.putShort(iph + 16, (short) ~Checksums.fold(Checksums.sum(b, iph, len, pseudo)));
        } else {
            b.putShort(iph + 16, (short) pseudo);
        }
        return b;
    }

    /** The frame the kernel hands over for a TSO super-packet with {@code mss}-sized segments. */
    static ByteBuffer gsoFrame(boolean v6, int id, int seq, int ack, int flags, byte[] options, byte[] payload,
            int mss) {
        ByteBuffer p = packet(v6, id, seq, ack, flags, options, payload, 40000, false);
        int iph = v6 ? 40 : 20;
        ByteBuffer f = ByteBuffer.allocateDirect(VnetHeader.LENGTH + p.capacity());
        VnetHeader.put(f, 0, VnetHeader.F_NEEDS_CSUM, v6 ? VnetHeader.GSO_TCPV6 : VnetHeader.GSO_TCPV4,
                iph + 20 + options.length, mss, iph, 16);
        f.put(VnetHeader.LENGTH, p, 0, p.capacity());
        return f;
    }

    /** A frame with an all-zero header around a copy of {@code packet}. */
    static ByteBuffer plainFrame(ByteBuffer packet) {
        ByteBuffer f = ByteBuffer.allocateDirect(VnetHeader.LENGTH + packet.remaining());
        f.put(VnetHeader.LENGTH, packet, packet.position(), packet.remaining());
        return f;
    }

    /** Every packet of a frame, through a fresh segmenter; empty when it was dropped. */
    static List<ByteBuffer> segment(ByteBuffer frame, int maxPacket) {
        Segmenter s = new Segmenter();
        int n = s.begin(frame, maxPacket);
        List<ByteBuffer> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            ByteBuffer b = ByteBuffer.allocateDirect(maxPacket);
            s.emit(i, b);
            out.add(b);
        }
        return out;
    }

    static byte[] bytes(ByteBuffer b) {
        byte[] a = new byte[b.remaining()];
        b.get(b.position(), a);
        return a;
    }

    static boolean ipv4HeaderValid(ByteBuffer p) {
        return Checksums.fold(Checksums.sum(p, 0, (p.get(0) & 0x0f) * 4, 0)) == 0xffff;
    }
}
