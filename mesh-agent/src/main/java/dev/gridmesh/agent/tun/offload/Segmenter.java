package dev.gridmesh.agent.tun.offload;

import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Turns one frame read from a TUN device opened with {@code IFF_VNET_HDR} into the plain IP packets it stands for
 * (sans-I/O): {@link #begin} checks the frame's virtio_net_hdr and says how many packets it yields, {@link #emit}
 * writes packet {@code i} into a buffer. The frame must stay untouched between the two.
 * <ul>
 *   <li>GSO none, no NEEDS_CSUM: the packet as is.</li>
 *   <li>GSO none, NEEDS_CSUM: the packet with its checksum completed (the field holds the pseudo-header sum; the
 *       sum runs from csum_start to the end and lands at csum_start + csum_offset).</li>
 *   <li>GSO TCPv4/TCPv6: a TCP super-packet (up to 64 KiB) cut into gso_size payloads, each with a copy of the
 *       IP and TCP headers: IPv4 id + i, total/payload length, IPv4 header checksum, sequence number + i *
 *       gso_size, FIN and PSH only on the last segment, CWR only on the first, full TCP checksum.</li>
 * </ul>
 * Anything else (short frame, header fields outside the packet, other GSO types, IP/TCP headers that disagree with
 * the virtio_net_hdr) is a counted drop: begin returns 0. Not thread-safe: one per reading thread.
 */
public final class Segmenter {
    private static final int TCP_FIN = 0x01;
    private static final int TCP_PSH = 0x08;
    private static final int TCP_CWR = 0x80;

    private final AtomicLongArray drops = new AtomicLongArray(OffloadDrop.values().length);
    private ByteBuffer frame;
    /** Absolute index of the IP packet in the frame, and its end. */
    private int ip;
    private int end;
    private int gsoType;
    private boolean needsCsum;
    private int csumStart;
    private int csumOffset;
    private int iphLen;
    private int hdrLen;
    private int gsoSize;
    private int count;
    private int seq0;
    private int id0;
    private long pseudoNoLen;

    /**
     * Parses the frame between {@code frame}'s position and limit (virtio_net_hdr, then the packet). Returns how
     * many packets it yields (0 = dropped and counted), none larger than {@code maxPacket} bytes.
     */
    public int begin(ByteBuffer frame, int maxPacket) {
        this.frame = frame;
        count = 0;
        int base = frame.position();
        end = frame.limit();
        ip = base + VnetHeader.LENGTH;
        int len = end - ip;
        if (len < 1) {
            return drop(OffloadDrop.BAD_VNET_HDR);
        }
        int flags = frame.get(base) & 0xff;
        gsoType = frame.get(base + 1) & 0xff;
        gsoSize = VnetHeader.u16le(frame, base + 4);
        csumStart = VnetHeader.u16le(frame, base + 6);
        csumOffset = VnetHeader.u16le(frame, base + 8);
        needsCsum = (flags & VnetHeader.F_NEEDS_CSUM) != 0;
        if (gsoType == VnetHeader.GSO_NONE) {
            if (needsCsum && (csumStart + csumOffset + 2 > len || (csumOffset & 1) != 0)) {
                return drop(OffloadDrop.BAD_VNET_HDR);
            }
            if (len > maxPacket) {
                return drop(OffloadDrop.PACKET_TOO_BIG);
            }
            return count = 1;
        }
        if (gsoType != VnetHeader.GSO_TCPV4 && gsoType != VnetHeader.GSO_TCPV6) {
            return drop(OffloadDrop.UNSUPPORTED_GSO);
        }
        if (!needsCsum || gsoSize == 0 || csumOffset != 16) {
            return drop(OffloadDrop.BAD_VNET_HDR);
        }
        boolean v6 = gsoType == VnetHeader.GSO_TCPV6;
        int version = (frame.get(ip) & 0xf0) >>> 4;
        if (v6) {
            if (version != 6 || len < 40 || (frame.get(ip + 6) & 0xff) != Checksums.PROTO_TCP) {
                return drop(OffloadDrop.MALFORMED_PACKET);
            }
            iphLen = 40;
        } else {
            iphLen = (frame.get(ip) & 0x0f) * 4;
            if (version != 4 || iphLen < 20 || len < iphLen || (frame.get(ip + 9) & 0xff) != Checksums.PROTO_TCP
                    || (frame.getShort(ip + 6) & 0x3fff) != 0 /* MF or a fragment offset */) {
                return drop(OffloadDrop.MALFORMED_PACKET);
            }
        }
        if (csumStart != iphLen || len < iphLen + 20) {
            return drop(OffloadDrop.MALFORMED_PACKET); // IPv6 extension headers or a header mismatch
        }
        int tcphLen = ((frame.get(ip + iphLen + 12) & 0xf0) >>> 4) * 4;
        hdrLen = iphLen + tcphLen;
        if (tcphLen < 20 || len < hdrLen) {
            return drop(OffloadDrop.MALFORMED_PACKET);
        }
        if (hdrLen + gsoSize > maxPacket) {
            return drop(OffloadDrop.PACKET_TOO_BIG);
        }
        int payload = len - hdrLen;
        if (payload == 0) {
            // nothing to cut: one packet, checksum completed below like GSO none
            return count = 1;
        }
        seq0 = frame.getInt(ip + iphLen + 4);
        id0 = v6 ? 0 : frame.getShort(ip + 4) & 0xffff;
        pseudoNoLen = Checksums.pseudoHeader(frame, ip, Checksums.PROTO_TCP, 0);
        count = (payload + gsoSize - 1) / gsoSize;
        return count;
    }

    /** Writes packet {@code i} (0 <= i < begin's result) into {@code out}: position 0, limit its length. */
    public void emit(int i, ByteBuffer out) {
        if (i < 0 || i >= count) {
            throw new IndexOutOfBoundsException("segment " + i + " of " + count);
        }
        int len = end - ip;
        if (gsoType == VnetHeader.GSO_NONE || len == hdrLen) {
            out.clear();
            out.put(0, frame, ip, len);
            out.limit(len);
            if (needsCsum) {
                int at = gsoType == VnetHeader.GSO_NONE ? csumStart : iphLen;
                int field = at + (gsoType == VnetHeader.GSO_NONE ? csumOffset : 16);
                // the field holds the pseudo-header sum: sum everything from csum_start, complement, store; a
                // result of 0 goes out as 0xffff (the same in ones' complement, and "no checksum" to UDP if it were 0)
                int c = ~Checksums.fold(Checksums.sum(out, at, len, 0)) & 0xffff;
                out.putShort(field, (short) (c == 0 ? 0xffff : c));
            }
            return;
        }
        int from = hdrLen + i * gsoSize;
        int segPayload = Math.min(gsoSize, len - from);
        int total = hdrLen + segPayload;
        out.clear();
        out.put(0, frame, ip, hdrLen);
        out.put(hdrLen, frame, ip + from, segPayload);
        out.limit(total);
        if (gsoType == VnetHeader.GSO_TCPV4) {
            out.putShort(4, (short) (id0 + i));
            out.putShort(2, (short) total);
            Checksums.fixIpv4Header(out, 0, iphLen);
        } else {
            out.putShort(4, (short) (total - 40));
        }
        int th = iphLen;
        out.putInt(th + 4, seq0 + i * gsoSize);
        int flags = out.get(th + 13) & 0xff;
        if (i != count - 1) {
            flags &= ~(TCP_FIN | TCP_PSH);
        }
        if (i != 0) {
            flags &= ~TCP_CWR;
        }
        out.put(th + 13, (byte) flags);
        out.putShort(th + 16, (short) 0);
        long s = Checksums.sum(out, th, total, pseudoNoLen + (total - th));
        out.putShort(th + 16, (short) ~Checksums.fold(s));
    }

    /** Drops counted so far for {@code reason}. */
    public long drops(OffloadDrop reason) {
        return drops.get(reason.ordinal());
    }

    private int drop(OffloadDrop reason) {
        drops.incrementAndGet(reason.ordinal());
        count = 0;
        return 0;
    }
}
