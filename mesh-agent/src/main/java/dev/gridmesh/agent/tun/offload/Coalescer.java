package dev.gridmesh.agent.tun.offload;

import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Coalesces the IP packets of one burst (sans-I/O) into frames for a TUN device opened with {@code IFF_VNET_HDR},
 * like wireguard-go's tcpGRO: in-order TCP segments of one flow become one GSO super-packet (up to 64 KiB) that the
 * kernel's stack takes in one write; every other packet becomes a frame of its own with an all-zero header.
 * <p>
 * A segment joins the newest open item of its flow (same addresses, ports and ACK number) when: IPv4 without
 * options or fragmentation / IPv6 without extension headers; flags exactly ACK or ACK|PSH; a non-empty payload
 * whose sequence number follows the item's last byte; the same TCP header length and option bytes; the same
 * TOS/traffic class, TTL/hop limit and IPv4 DF bit; the item has no PSH yet and no short segment at its end; the
 * payload is at most the item's gso_size (its first payload); both TCP checksums are valid (a merged packet's
 * checksum is recomputed by the kernel, so a bad one must not be laundered); and the result fits 64 KiB.
 * <pre>
 *   add(p1) add(p2) ... add(pn)   copies each packet in (the caller's buffer is free again at once)
 *   flush(sink)                   sink.write(frame) per item, in first-arrival order; then empty again
 * </pre>
 * {@link #add} returns false when no buffer is free: flush, then add again. Merged items get NEEDS_CSUM with
 * csum_start = IP header length, csum_offset 16 and the pseudo-header sum in the TCP checksum field, gso_type
 * TCPv4/TCPv6, gso_size = the first payload, hdr_len = IP + TCP header length. Not thread-safe.
 */
public final class Coalescer {
    /** Largest IP packet a frame may carry (IPv4 total length / IPv6 payload length bound, kept simple). */
    public static final int MAX_PACKET = 65535;
    private static final int TCP_ACK = 0x10;
    private static final int TCP_PSH = 0x08;

    /** Sink of coalesced frames: {@code frame} holds a virtio_net_hdr then the packet, position..limit. */
    @FunctionalInterface
    public interface FrameSink {
        /** {@code packets}: how many of the added packets this frame carries. */
        void write(ByteBuffer frame, int packets);
    }

    private final ByteBuffer[] large;
    private final ByteBuffer[] small;
    private final int smallPacket;
    private final AtomicLongArray drops = new AtomicLongArray(OffloadDrop.values().length);

    // items, in arrival order
    private final ByteBuffer[] itemBuf;
    private final int[] itemLen;
    /** 0 = not coalescable (written alone), 4 or 6 = TCP over IPv4/IPv6. */
    private final int[] itemTcp;
    private final int[] itemIphLen;
    private final int[] itemTcphLen;
    private final int[] itemGsoSize;
    private final int[] itemMerged;
    private final boolean[] itemClosed;
    private int items;
    private int largeUsed;
    private int smallUsed;

    /**
     * @param largeBuffers how many 64 KiB buffers (heads of TCP flows that may grow)
     * @param smallBuffers how many buffers of {@code smallPacket} bytes (other packets, and TCP heads when the
     *                     large ones are taken)
     */
    public Coalescer(int largeBuffers, int smallBuffers, int smallPacket) {
        if (largeBuffers < 0 || smallBuffers < 1 || smallPacket < 1) {
            throw new IllegalArgumentException("large " + largeBuffers + ", small " + smallBuffers + " x "
                    + smallPacket + " (expected: >= 0, >= 1 x >= 1)");
        }
        this.smallPacket = smallPacket;
        this.large = new ByteBuffer[largeBuffers];
        int largeSize = VnetHeader.LENGTH + MAX_PACKET;
        if (largeBuffers > 0) {
            ByteBuffer slab = ByteBuffer.allocateDirect(largeBuffers * largeSize);
            for (int i = 0; i < largeBuffers; i++) {
                large[i] = slab.slice(i * largeSize, largeSize);
            }
        }
        this.small = new ByteBuffer[smallBuffers];
        int smallSize = VnetHeader.LENGTH + smallPacket;
        ByteBuffer slab = ByteBuffer.allocateDirect(smallBuffers * smallSize);
        for (int i = 0; i < smallBuffers; i++) {
            small[i] = slab.slice(i * smallSize, smallSize);
        }
        int n = largeBuffers + smallBuffers;
        itemBuf = new ByteBuffer[n];
        itemLen = new int[n];
        itemTcp = new int[n];
        itemIphLen = new int[n];
        itemTcphLen = new int[n];
        itemGsoSize = new int[n];
        itemMerged = new int[n];
        itemClosed = new boolean[n];
    }

    public boolean isEmpty() {
        return items == 0;
    }

    /** Drops counted so far for {@code reason} (packets too big for any buffer). */
    public long drops(OffloadDrop reason) {
        return drops.get(reason.ordinal());
    }

    /**
     * Adds the packet between {@code packet}'s position and limit (copied; position unchanged). Returns false,
     * adding nothing, when no buffer is free (flush first); a packet no buffer can hold is a counted drop (true).
     */
    public boolean add(ByteBuffer packet) {
        int p = packet.position();
        int len = packet.remaining();
        if (len < 1 || len > MAX_PACKET || (len > smallPacket && large.length == 0)) {
            drops.incrementAndGet(OffloadDrop.PACKET_TOO_BIG.ordinal());
            return true;
        }
        int tcp = tcpCandidate(packet, p, len);
        if (tcp != 0 && tryAppend(packet, p, len, tcp)) {
            return true;
        }
        ByteBuffer buf;
        boolean wantLarge = tcp != 0 || len > smallPacket;
        if (wantLarge && largeUsed < large.length) {
            buf = large[largeUsed++];
        } else if (len <= smallPacket && smallUsed < small.length) {
            buf = small[smallUsed++];
        } else {
            return false;
        }
        buf.put(VnetHeader.LENGTH, packet, p, len);
        int i = items++;
        itemBuf[i] = buf;
        itemLen[i] = len;
        itemTcp[i] = tcp;
        itemMerged[i] = 0;
        itemClosed[i] = false;
        if (tcp != 0) {
            int iph = tcp == 4 ? 20 : 40;
            itemIphLen[i] = iph;
            itemTcphLen[i] = ((packet.get(p + iph + 12) & 0xf0) >>> 4) * 4;
            itemGsoSize[i] = len - iph - itemTcphLen[i];
        }
        return true;
    }

    /** 4 or 6 when the packet may be coalesced (see the class comment), else 0. */
    private static int tcpCandidate(ByteBuffer b, int p, int len) {
        if (len < 40) {
            return 0;
        }
        int vihl = b.get(p) & 0xff;
        int iph;
        int version;
        if (vihl == 0x45) {
            if ((b.get(p + 9) & 0xff) != Checksums.PROTO_TCP || (b.getShort(p + 2) & 0xffff) != len
                    || (b.getShort(p + 6) & 0x3fff) != 0) {
                return 0;
            }
            iph = 20;
            version = 4;
        } else if ((vihl & 0xf0) == 0x60) {
            if (len < 60 || (b.get(p + 6) & 0xff) != Checksums.PROTO_TCP
                    || (b.getShort(p + 4) & 0xffff) != len - 40) {
                return 0;
            }
            iph = 40;
            version = 6;
        } else {
            return 0;
        }
        int tcph = ((b.get(p + iph + 12) & 0xf0) >>> 4) * 4;
        if (tcph < 20 || len <= iph + tcph) {
            return 0; // bad header length, or no payload
        }
        int flags = b.get(p + iph + 13) & 0xff;
        if (flags != TCP_ACK && flags != (TCP_ACK | TCP_PSH)) {
            return 0;
        }
        return version;
    }

    private boolean tryAppend(ByteBuffer pkt, int p, int len, int tcp) {
        for (int i = items - 1; i >= 0; i--) {
            if (itemTcp[i] != tcp || !sameFlow(itemBuf[i], pkt, p, tcp)) {
                continue;
            }
            return append(i, pkt, p, len);
        }
        return false;
    }

    private static boolean sameFlow(ByteBuffer head, ByteBuffer pkt, int p, int tcp) {
        int h = VnetHeader.LENGTH;
        int iph = tcp == 4 ? 20 : 40;
        if (tcp == 4) {
            if (head.getLong(h + 12) != pkt.getLong(p + 12)) {
                return false;
            }
        } else {
            for (int o = 8; o < 40; o += 8) {
                if (head.getLong(h + o) != pkt.getLong(p + o)) {
                    return false;
                }
            }
        }
        return head.getInt(h + iph) == pkt.getInt(p + iph) // ports
                && head.getInt(h + iph + 8) == pkt.getInt(p + iph + 8); // ACK number
    }

    private boolean append(int i, ByteBuffer pkt, int p, int len) {
        if (itemClosed[i]) {
            return false;
        }
        ByteBuffer head = itemBuf[i];
        int h = VnetHeader.LENGTH;
        int iph = itemIphLen[i];
        int tcph = itemTcphLen[i];
        int pktTcph = ((pkt.get(p + iph + 12) & 0xf0) >>> 4) * 4;
        if (pktTcph != tcph) {
            return false;
        }
        for (int o = 20; o < tcph; o++) {
            if (head.get(h + iph + o) != pkt.get(p + iph + o)) {
                return false;
            }
        }
        if (iph == 40) {
            if (head.get(h) != pkt.get(p) || (head.get(h + 1) & 0xf0) != (pkt.get(p + 1) & 0xf0)
                    || head.get(h + 7) != pkt.get(p + 7)) {
                return false;
            }
        } else if (head.get(h + 1) != pkt.get(p + 1) || (head.get(h + 6) & 0xe0) != (pkt.get(p + 6) & 0xe0)
                || head.get(h + 8) != pkt.get(p + 8)) {
            return false;
        }
        int headersLen = iph + tcph;
        int payload = len - headersLen;
        int gso = itemGsoSize[i];
        int headPayload = itemLen[i] - headersLen;
        if (pkt.getInt(p + iph + 4) != head.getInt(h + iph + 4) + headPayload) {
            return false;
        }
        if ((head.get(h + iph + 13) & TCP_PSH) != 0 || headPayload % gso != 0 || payload > gso) {
            return false;
        }
        int newLen = itemLen[i] + payload;
        if (newLen > MAX_PACKET || h + newLen > head.capacity()) {
            return false;
        }
        if (itemMerged[i] == 0 && !Checksums.tcpValid(head, h, iph, itemLen[i])) {
            itemClosed[i] = true; // never merge into a packet with a bad checksum; it is written as is
            return false;
        }
        if (!Checksums.tcpValid(pkt, p, iph, len)) {
            return false;
        }
        head.put(h + itemLen[i], pkt, p + headersLen, payload);
        if ((pkt.get(p + iph + 13) & TCP_PSH) != 0) {
            head.put(h + iph + 13, (byte) (head.get(h + iph + 13) | TCP_PSH));
        }
        itemLen[i] = newLen;
        itemMerged[i]++;
        return true;
    }

    /** Hands every item to {@code sink} in arrival order, then empties the coalescer. */
    public void flush(FrameSink sink) {
        int n = items;
        items = 0;
        largeUsed = 0;
        smallUsed = 0;
        for (int i = 0; i < n; i++) {
            ByteBuffer b = itemBuf[i];
            int h = VnetHeader.LENGTH;
            int len = itemLen[i];
            if (itemMerged[i] == 0) {
                VnetHeader.putNone(b, 0);
            } else {
                int iph = itemIphLen[i];
                boolean v6 = iph == 40;
                if (v6) {
                    b.putShort(h + 4, (short) (len - 40));
                } else {
                    b.putShort(h + 2, (short) len);
                    Checksums.fixIpv4Header(b, h, 20);
                }
                int pseudo = Checksums.fold(Checksums.pseudoHeader(b, h, Checksums.PROTO_TCP, len - iph));
                b.putShort(h + iph + 16, (short) pseudo);
                VnetHeader.put(b, 0, VnetHeader.F_NEEDS_CSUM, v6 ? VnetHeader.GSO_TCPV6 : VnetHeader.GSO_TCPV4,
                        iph + itemTcphLen[i], itemGsoSize[i], iph, 16);
            }
            b.limit(h + len).position(0);
            sink.write(b, itemMerged[i] + 1);
            b.clear();
            itemBuf[i] = null;
        }
    }
}
