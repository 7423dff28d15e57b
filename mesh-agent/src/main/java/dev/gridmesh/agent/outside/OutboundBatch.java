package dev.gridmesh.agent.outside;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.socket.DatagramPacket;
import io.netty.channel.epoll.SegmentedDatagramPacket;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * The datagrams produced from one TUN read batch, copied into pooled direct buffers on the inside thread and then
 * written on the event loop with one flush (so epoll sends them with one {@code sendmmsg}). With GSO on, runs of
 * datagrams to the same endpoint whose sizes are equal (the last may be shorter) share one buffer and leave as one
 * {@link SegmentedDatagramPacket}: the kernel splits it, saving a trip through the stack per datagram.
 * Not thread-safe: filled by one thread, then handed over whole.
 */
public final class OutboundBatch {
    /** Kernel limit on segments per GSO send (UDP_MAX_SEGMENTS). */
    static final int MAX_SEGMENTS = 64;
    /** Keep a GSO send under the 64 KiB IP datagram limit. */
    static final int MAX_GSO_BYTES = 65_000;

    private final ByteBufAllocator alloc;
    private final boolean gso;
    private final List<DatagramPacket> packets;
    private ByteBuf run;
    private InetSocketAddress runTo;
    private int segmentSize;
    private int segments;
    private boolean runClosed;
    private int datagrams;

    public OutboundBatch(ByteBufAllocator alloc, boolean gso, int expected) {
        this.alloc = alloc;
        this.gso = gso;
        this.packets = new ArrayList<>(Math.max(1, gso ? 4 : expected));
    }

    /**
     * Copies {@code datagram} (position..limit, not consumed) for {@code to}.
     *
     * @param remainingHint datagrams still to come in this batch (sizes the GSO buffer)
     */
    public void add(InetSocketAddress to, ByteBuffer datagram, int remainingHint) {
        int len = datagram.remaining();
        datagrams++;
        if (gso && run != null && !runClosed && len <= segmentSize && segments < MAX_SEGMENTS
                && run.writerIndex() + len <= MAX_GSO_BYTES && to.equals(runTo)) {
            copy(run, datagram);
            segments++;
            if (len < segmentSize) {
                runClosed = true;
            }
            return;
        }
        finishRun();
        int want = len;
        if (gso && remainingHint > 0 && len > 0) {
            int fit = Math.min(MAX_SEGMENTS, MAX_GSO_BYTES / len);
            want = len * Math.max(1, Math.min(fit, remainingHint + 1));
        }
        run = alloc.directBuffer(want);
        copy(run, datagram);
        runTo = to;
        segmentSize = len;
        segments = 1;
        runClosed = false;
    }

    /** Appends datagram's position..limit without consuming it (and without a duplicate() per packet). */
    public static void copy(ByteBuf to, ByteBuffer datagram) {
        int pos = datagram.position();
        to.writeBytes(datagram);
        datagram.position(pos);
    }

    private void finishRun() {
        if (run == null) {
            return;
        }
        packets.add(segments == 1 ? new DatagramPacket(run, runTo)
                : new SegmentedDatagramPacket(run, segmentSize, runTo));
        run = null;
    }

    /** Datagrams added (before GSO coalescing). */
    public int datagrams() {
        return datagrams;
    }

    /** Sends (the packets the kernel sees, after coalescing) once finished. */
    public int sends() {
        return packets.size() + (run == null ? 0 : 1);
    }

    public boolean isEmpty() {
        return datagrams == 0;
    }

    /** Writes everything and flushes once. On the channel's event loop. */
    public void writeAndFlush(Channel ch) {
        finishRun();
        for (int i = 0, n = packets.size(); i < n; i++) {
            ch.write(packets.get(i), ch.voidPromise());
        }
        packets.clear();
        ch.flush();
    }

    /** Frees the buffers without sending (the channel is gone). */
    public void release() {
        finishRun();
        for (DatagramPacket p : packets) {
            p.release();
        }
        packets.clear();
    }
}
