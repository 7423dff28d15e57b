package dev.gridmesh.agent.relay;

import dev.gridmesh.agent.dataplane.PeerSender;
import dev.gridmesh.crypto.NodePublicKey;
import dev.gridmesh.protocol.relay.FrameHeader;
import dev.gridmesh.protocol.relay.FrameType;
import dev.gridmesh.protocol.relay.Frames;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * The outbound half of the relayed data path: WireGuard datagrams become PACKET frames on the relay's TLS channel.
 * <pre>
 *   inside thread / outside loop                         relay channel's event loop
 *   PeerSender.send(peer, _, datagram)                   drain(): take every chunk, write each, flush ONCE
 *     append frame to the open chunk (lock)                (a chunk is many frames back to back: SslHandler
 *       header(12) | dst key(32) | datagram                 wraps 16 KiB records straight out of it, no copy)
 *     first frame after a drain schedules one drain task ----->
 * </pre>
 * A burst's frames are written back to back into one pooled direct buffer (a chunk, {@value #MIN_CHUNK} to
 * {@value #MAX_CHUNK} bytes, sized from the previous burst, doubling within a burst), so a burst costs one allocation, one write and one
 * flush instead of one of each per datagram, and TLS encrypts from the chunk directly instead of first copying the
 * small frames together. No frame waits for more: the drain task is scheduled by the first frame after a drain, as
 * one task per datagram would be, and takes whatever has been appended by the time it runs. Memory is bounded
 * twice: at most {@code queueCapacity} frames wait for the drain, and nothing is appended while the channel is above
 * its write high-water mark. Both drop and count ({@link RelayDrop}); so does sending while not connected.
 * Thread-safe: producers (inside thread, outside event loop) and the drain share one short lock.
 */
public final class RelayPath {
    /** Default bound of the frames waiting for the drain. */
    public static final int DEFAULT_QUEUE = 2048;
    /** Smallest and largest chunk allocated for a burst's frames. */
    static final int MIN_CHUNK = 4 * 1024;
    static final int MAX_CHUNK = 64 * 1024;

    private final int queueCapacity;
    private final Object lock = new Object();
    // guarded by lock
    private final ArrayDeque<ByteBuf> full = new ArrayDeque<>();
    private ByteBuf open;
    private int queuedFrames;
    private long queuedBytes;
    private boolean drainScheduled;
    private int nextChunk = MIN_CHUNK;
    // the drain's own (event loop)
    private final ArrayDeque<ByteBuf> draining = new ArrayDeque<>();

    private final AtomicLongArray drops = new AtomicLongArray(RelayDrop.values().length);
    private final AtomicLongArray sent = new AtomicLongArray(2); // frames, datagram bytes
    private final Runnable drainTask = this::drain;
    private volatile Channel channel;

    public RelayPath(int queueCapacity) {
        if (queueCapacity < 1) {
            throw new IllegalArgumentException("queueCapacity must be positive: " + queueCapacity);
        }
        this.queueCapacity = queueCapacity;
    }

    public RelayPath() {
        this(DEFAULT_QUEUE);
    }

    /** The registered relay channel to send on, or null while there is none (datagrams are then dropped). */
    public void attach(Channel ch) {
        channel = ch;
    }

    /** Forgets {@code ch} if it is the current channel and frees what was queued for it. */
    public void detach(Channel ch) {
        if (channel == ch) {
            channel = null;
        }
        synchronized (lock) {
            releaseQueued();
            drainScheduled = false; // a drain still pending on the old channel's loop finds nothing; the next send schedules one
        }
    }

    /** Frees every chunk waiting for the drain (lock held); returns how many frames they held. */
    private int releaseQueued() {
        ByteBuf b;
        while ((b = full.poll()) != null) {
            b.release();
        }
        if (open != null) {
            open.release();
            open = null;
        }
        int n = queuedFrames;
        queuedFrames = 0;
        queuedBytes = 0;
        return n;
    }

    public boolean connected() {
        Channel c = channel;
        return c != null && c.isActive();
    }

    /** A {@link PeerSender} for the data plane: every datagram to {@code peer} goes through the relay. */
    public PeerSender senderFor(NodePublicKey peer) {
        byte[] key = peer.toBytes();
        return (p, endpoint, datagram) -> send(key, datagram);
    }

    /** Queues one PACKET frame to the peer whose node key is {@code key} (32 bytes). */
    public void send(byte[] key, ByteBuffer datagram) {
        Channel ch = channel;
        if (ch == null || !ch.isActive()) {
            drop(RelayDrop.NOT_CONNECTED);
            return;
        }
        if (!ch.isWritable()) {
            drop(RelayDrop.CHANNEL_FULL);
            return;
        }
        int len = datagram.remaining();
        if (len + Frames.PACKET_KEY_SIZE > Frames.MAX_PAYLOAD) {
            drop(RelayDrop.TOO_LARGE);
            return;
        }
        int frame = FrameHeader.SIZE + Frames.PACKET_KEY_SIZE + len;
        boolean schedule;
        synchronized (lock) {
            if (queuedFrames >= queueCapacity) {
                drop(RelayDrop.QUEUE_FULL);
                return;
            }
            ByteBuf o = open;
            if (o == null || o.writableBytes() < frame) {
                int size = nextChunk;
                if (o != null) {
                    full.add(o);
                    size = Math.min(MAX_CHUNK, o.capacity() * 2); // a burst bigger than the last one
                }
                o = ch.alloc().directBuffer(Math.max(frame, size));
                open = o;
            }
            o.writeByte(Frames.VERSION).writeByte(FrameType.PACKET.code()).writeShort(0).writeInt(0)
                    .writeInt(Frames.PACKET_KEY_SIZE + len).writeBytes(key).writeBytes(datagram.duplicate());
            queuedFrames++;
            queuedBytes += len;
            schedule = !drainScheduled;
            drainScheduled = true;
        }
        if (schedule) {
            try {
                ch.eventLoop().execute(drainTask);
            } catch (RejectedExecutionException e) {
                synchronized (lock) {
                    drainScheduled = false;
                }
                detach(ch);
            }
        }
    }

    private void drain() {
        Channel ch = channel;
        int frames;
        long bytes;
        synchronized (lock) {
            drainScheduled = false;
            if (ch == null || !ch.isActive()) {
                int n = releaseQueued();
                drops.addAndGet(RelayDrop.NOT_CONNECTED.ordinal(), n);
                return;
            }
            ByteBuf b;
            while ((b = full.poll()) != null) {
                draining.add(b);
            }
            if (open != null) {
                draining.add(open);
                open = null;
            }
            frames = queuedFrames;
            bytes = queuedBytes;
            queuedFrames = 0;
            queuedBytes = 0;
            long burst = bytes + (long) frames * (FrameHeader.SIZE + Frames.PACKET_KEY_SIZE);
            nextChunk = (int) Math.min(MAX_CHUNK, Math.max(MIN_CHUNK, burst));
        }
        if (draining.isEmpty()) {
            return;
        }
        ByteBuf b;
        while ((b = draining.poll()) != null) {
            ch.write(b, ch.voidPromise());
        }
        ch.flush();
        sent.addAndGet(0, frames);
        sent.addAndGet(1, bytes);
    }

    public void drop(RelayDrop reason) {
        drops.incrementAndGet(reason.ordinal());
    }

    public long drops(RelayDrop reason) {
        return drops.get(reason.ordinal());
    }

    /** Non-zero drop counters by name. */
    public Map<String, Long> dropCounts() {
        Map<String, Long> m = new TreeMap<>();
        for (RelayDrop d : RelayDrop.values()) {
            long v = drops.get(d.ordinal());
            if (v > 0) {
                m.put(d.name(), v);
            }
        }
        return m;
    }

    /** Frames handed to the TLS channel. */
    public long framesSent() {
        return sent.get(0);
    }

    /** WireGuard bytes handed to the TLS channel. */
    public long bytesSent() {
        return sent.get(1);
    }
}
