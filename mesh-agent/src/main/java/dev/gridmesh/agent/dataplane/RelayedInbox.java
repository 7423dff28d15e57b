package dev.gridmesh.agent.dataplane;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;

/**
 * Relayed datagrams on their way from the relay connection's thread to the data plane's event loop, copied back to
 * back into pooled direct chunks: one allocation (and one free, on the other thread) per burst instead of one per
 * datagram.
 * <pre>
 *   chunk:  | len (4) | datagram | len (4) | datagram | ...      MIN_CHUNK..MAX_CHUNK bytes, doubling within a burst
 *   add():   relay thread, appends to the open chunk (lock)
 *   drain(): event loop, takes every chunk (lock), then walks the records without the lock
 * </pre>
 * At most {@code capacity} datagrams wait at once; {@link #add} refuses more (the caller counts the drop). Nothing
 * waits for more datagrams: the caller schedules a drain on the first add after one.
 */
final class RelayedInbox {
    static final int MIN_CHUNK = 4 * 1024;
    static final int MAX_CHUNK = 64 * 1024;

    /** Receives one datagram: {@code datagram}'s readable bytes, valid only during the call. */
    @FunctionalInterface
    interface Consumer {
        void accept(ByteBuf datagram);
    }

    private final int capacity;
    private final Object lock = new Object();
    // guarded by lock
    private final ArrayDeque<ByteBuf> full = new ArrayDeque<>();
    private ByteBuf open;
    private int queued;
    private int nextChunk = MIN_CHUNK;
    // the draining thread's own
    private final ArrayDeque<ByteBuf> draining = new ArrayDeque<>();

    RelayedInbox(int capacity) {
        this.capacity = capacity;
    }

    /** Copies {@code datagram} (position..limit) in; false when {@code capacity} datagrams already wait. */
    boolean add(ByteBufAllocator alloc, ByteBuffer datagram) {
        int len = datagram.remaining();
        int record = 4 + len;
        synchronized (lock) {
            if (queued >= capacity) {
                return false;
            }
            ByteBuf o = open;
            if (o == null || o.writableBytes() < record) {
                int size = nextChunk;
                if (o != null) {
                    full.add(o);
                    size = Math.min(MAX_CHUNK, o.capacity() * 2);
                }
                o = alloc.directBuffer(Math.max(record, size));
                open = o;
            }
            o.writeInt(len).writeBytes(datagram.duplicate());
            queued++;
        }
        return true;
    }

    /** Hands every waiting datagram to {@code each}, in order, and frees the chunks. Single consumer. */
    int drain(Consumer each) {
        int n;
        synchronized (lock) {
            ByteBuf b;
            long bytes = 0;
            while ((b = full.poll()) != null) {
                bytes += b.readableBytes();
                draining.add(b);
            }
            if (open != null) {
                bytes += open.readableBytes();
                draining.add(open);
                open = null;
            }
            n = queued;
            queued = 0;
            nextChunk = (int) Math.min(MAX_CHUNK, Math.max(MIN_CHUNK, bytes));
        }
        ByteBuf c;
        while ((c = draining.poll()) != null) {
            try {
                int end = c.writerIndex();
                int at = c.readerIndex();
                while (at < end) {
                    int len = c.getInt(at);
                    c.setIndex(at + 4, at + 4 + len);
                    each.accept(c);
                    at += 4 + len;
                }
            } finally {
                c.release();
            }
        }
        return n;
    }

    /** Frees everything waiting (the consumer is gone); returns how many datagrams that was. */
    int clear() {
        synchronized (lock) {
            ByteBuf b;
            while ((b = full.poll()) != null) {
                b.release();
            }
            if (open != null) {
                open.release();
                open = null;
            }
            int n = queued;
            queued = 0;
            return n;
        }
    }
}
