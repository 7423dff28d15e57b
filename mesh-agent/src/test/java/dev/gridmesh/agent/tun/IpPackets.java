package dev.gridmesh.agent.tun;

import java.nio.ByteBuffer;

/** Builds small, valid IPv4 packets for tests. */
public final class IpPackets {
    private IpPackets() {
    }

    /** An IPv4/UDP packet from {@code src} to {@code dst} (4-byte addresses) carrying {@code payload}. */
    public static byte[] ipv4Udp(byte[] src, byte[] dst, int srcPort, int dstPort, byte[] payload) {
        int total = 20 + 8 + payload.length;
        ByteBuffer b = ByteBuffer.allocate(total);
        b.put((byte) 0x45).put((byte) 0).putShort((short) total).putShort((short) 0).putShort((short) 0x4000)
                .put((byte) 64).put((byte) 17).putShort((short) 0).put(src).put(dst);
        b.putShort(10, checksum(b.array(), 0, 20));
        b.position(20);
        b.putShort((short) srcPort).putShort((short) dstPort).putShort((short) (8 + payload.length))
                .putShort((short) 0).put(payload);
        return b.array();
    }

    /** An IPv6/UDP packet from {@code src} to {@code dst} (16-byte addresses); the UDP checksum is left zero. */
    public static byte[] ipv6Udp(byte[] src, byte[] dst, int srcPort, int dstPort, byte[] payload) {
        int udpLen = 8 + payload.length;
        ByteBuffer b = ByteBuffer.allocate(40 + udpLen);
        b.putInt(0x60000000).putShort((short) udpLen).put((byte) 17).put((byte) 64).put(src).put(dst);
        b.putShort((short) srcPort).putShort((short) dstPort).putShort((short) udpLen).putShort((short) 0)
                .put(payload);
        return b.array();
    }

    /** An ICMP echo request (type 8) from {@code src} to {@code dst}. */
    public static byte[] ipv4Ping(byte[] src, byte[] dst, int id, int seq, byte[] data) {
        int total = 20 + 8 + data.length;
        ByteBuffer b = ByteBuffer.allocate(total);
        b.put((byte) 0x45).put((byte) 0).putShort((short) total).putShort((short) 0).putShort((short) 0x4000)
                .put((byte) 64).put((byte) 1).putShort((short) 0).put(src).put(dst);
        b.putShort(10, checksum(b.array(), 0, 20));
        b.position(20);
        b.put((byte) 8).put((byte) 0).putShort((short) 0).putShort((short) id).putShort((short) seq).put(data);
        b.putShort(22, checksum(b.array(), 20, 8 + data.length));
        return b.array();
    }

    static short checksum(byte[] a, int off, int len) {
        long sum = 0;
        for (int i = 0; i + 1 < len; i += 2) {
            sum += ((a[off + i] & 0xff) << 8) | (a[off + i + 1] & 0xff);
        }
        if ((len & 1) != 0) {
            sum += (a[off + len - 1] & 0xff) << 8;
        }
        while ((sum >> 16) != 0) {
            sum = (sum & 0xffff) + (sum >> 16);
        }
        return (short) ~sum;
    }
}
