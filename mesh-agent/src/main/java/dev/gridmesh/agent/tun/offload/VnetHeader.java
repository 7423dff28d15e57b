package dev.gridmesh.agent.tun.offload;

import java.nio.ByteBuffer;

/**
 * The legacy {@code struct virtio_net_hdr} (include/uapi/linux/virtio_net.h) that prefixes every TUN read and write
 * once the device is opened with {@code IFF_VNET_HDR}. Fields are in the host's byte order (little-endian on the
 * x86-64 / aarch64 hosts we run on; TUNSETVNETLE is not used).
 * <pre>
 *   0        1          2         4          6            8             10
 *   +--------+----------+---------+----------+------------+-------------+---------------- - -
 *   | flags  | gso_type | hdr_len | gso_size | csum_start | csum_offset | IP packet ...
 *   +--------+----------+---------+----------+------------+-------------+---------------- - -
 *   flags: 1 = NEEDS_CSUM (checksum from csum_start to the end, stored at csum_start + csum_offset; the field
 *          holds the pseudo-header sum). gso_type: 0 none, 1 TCPv4, 3 UDP, 4 TCPv6, 5 UDP_L4, | 0x80 ECN.
 * </pre>
 */
public final class VnetHeader {
    public static final int LENGTH = 10;
    public static final int F_NEEDS_CSUM = 1;
    public static final int GSO_NONE = 0;
    public static final int GSO_TCPV4 = 1;
    public static final int GSO_TCPV6 = 4;

    private VnetHeader() {
    }

    static int u16le(ByteBuffer b, int at) {
        return (b.get(at) & 0xff) | (b.get(at + 1) & 0xff) << 8;
    }

    static void put16le(ByteBuffer b, int at, int v) {
        b.put(at, (byte) v).put(at + 1, (byte) (v >>> 8));
    }

    /** Writes a header at absolute {@code at}. */
    public static void put(ByteBuffer b, int at, int flags, int gsoType, int hdrLen, int gsoSize, int csumStart,
            int csumOffset) {
        b.put(at, (byte) flags).put(at + 1, (byte) gsoType);
        put16le(b, at + 2, hdrLen);
        put16le(b, at + 4, gsoSize);
        put16le(b, at + 6, csumStart);
        put16le(b, at + 8, csumOffset);
    }

    /** Writes an all-zero header (no GSO, checksum complete) at absolute {@code at}. */
    public static void putNone(ByteBuffer b, int at) {
        b.putLong(at, 0L).putShort(at + 8, (short) 0);
    }
}
