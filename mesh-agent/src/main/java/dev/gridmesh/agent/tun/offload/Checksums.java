package dev.gridmesh.agent.tun.offload;

import java.nio.ByteBuffer;

/**
 * The Internet checksum (RFC 1071) over ByteBuffer ranges, summed eight bytes at a time. Buffers must be in
 * big-endian order (the default). Sums are kept unfolded in a {@code long} until {@link #fold}.
 */
public final class Checksums {
    public static final int PROTO_TCP = 6;

    private Checksums() {
    }

    /** Adds the 16-bit big-endian words of {@code [from, to)} (an odd last byte padded with zero) to {@code sum}. */
    public static long sum(ByteBuffer b, int from, int to, long sum) {
        int i = from;
        while (i + 8 <= to) {
            long v = b.getLong(i);
            sum += (v >>> 32) + (v & 0xffffffffL);
            i += 8;
        }
        if (i + 4 <= to) {
            sum += b.getInt(i) & 0xffffffffL;
            i += 4;
        }
        if (i + 2 <= to) {
            sum += b.getShort(i) & 0xffff;
            i += 2;
        }
        if (i < to) {
            sum += (b.get(i) & 0xff) << 8;
        }
        return sum;
    }

    /** Folds a sum to 16 bits (not complemented). */
    public static int fold(long sum) {
        while ((sum >>> 16) != 0) {
            sum = (sum & 0xffff) + (sum >>> 16);
        }
        return (int) sum;
    }

    /**
     * The TCP/UDP pseudo-header sum of the IP packet at {@code ip} (absolute; version from its first nibble) for an
     * upper-layer length {@code l4Len} and protocol {@code proto}.
     */
    public static long pseudoHeader(ByteBuffer b, int ip, int proto, int l4Len) {
        boolean v6 = (b.get(ip) & 0xf0) == 0x60;
        long s = v6 ? sum(b, ip + 8, ip + 40, 0) : sum(b, ip + 12, ip + 20, 0);
        return s + proto + l4Len;
    }

    /** Whether the TCP segment at {@code [ip + iphLen, ip + len)} carries a valid checksum. */
    public static boolean tcpValid(ByteBuffer b, int ip, int iphLen, int len) {
        long s = pseudoHeader(b, ip, PROTO_TCP, len - iphLen);
        return fold(sum(b, ip + iphLen, ip + len, s)) == 0xffff;
    }

    /** Recomputes the IPv4 header checksum of the header at {@code ip} ({@code ihl} bytes). */
    public static void fixIpv4Header(ByteBuffer b, int ip, int ihl) {
        b.putShort(ip + 10, (short) 0);
        b.putShort(ip + 10, (short) ~fold(sum(b, ip, ip + ihl, 0)));
    }
}
