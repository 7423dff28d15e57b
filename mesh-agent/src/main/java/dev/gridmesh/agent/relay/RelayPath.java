package dev.gridmesh.agent.relay;

import dev.gridmesh.agent.dataplane.PeerSender;
import dev.gridmesh.crypto.NodePublicKey;
import dev.gridmesh.protocol.relay.FrameHeader;
import dev.gridmesh.protocol.relay.FrameType;
import dev.gridmesh.protocol.relay.Frames;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.util.internal.PlatformDependent;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.Queue;
import java.util.TreeMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * The outbound half of the relayed data path: WireGuard datagrams become PACKET frames on the relay's TLS channel.
 * <pre>
 *   inside thread / outside loop                         relay channel's event loop
 *   PeerSender.send(peer, _, datagram)                   drain(): write every queued frame, flush ONCE
 *     frame = pooled direct buf: header(12) | dst key(32) | datagram      (one TLS record run per batch)
 *     bounded MPSC queue.offer(frame) ---- first offer after a drain schedules one drain task --->
 * </pre>
 * No lock and, besides the pooled frame buffer, no allocation per datagram; a burst read from TUN leaves in one flush.
 * Memory is bounded twice: the queue holds at most {@code queueCapacity} frames, and nothing is queued while the
 * channel is above its write high-water mark. Both drop and count ({@link RelayDrop}); so does sending while not
 * connected. Thread-safe.
 */
public final class RelayPath {
    /** Default bound of the hand-off queue, in frames. */
    public static final int DEFAULT_QUEUE = 2048;

    private final Queue<ByteBuf> queue;
    private final AtomicBoolean drainScheduled = new AtomicBoolean();
    private final AtomicLongArray drops = new AtomicLongArray(RelayDrop.values().length);
    private final AtomicLongArray sent = new AtomicLongArray(2); // frames, datagram bytes
    private final Runnable drainTask = this::drain;
    private volatile Channel channel;

    public RelayPath(int queueCapacity) {
        this.queue = PlatformDependent.newFixedMpscQueue(queueCapacity);
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
        ByteBuf b;
        while ((b = queue.poll()) != null) {
            b.release();
        }
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
        ByteBuf f = ch.alloc().directBuffer(FrameHeader.SIZE + Frames.PACKET_KEY_SIZE + len);
        f.writeByte(Frames.VERSION).writeByte(FrameType.PACKET.code()).writeShort(0).writeInt(0)
                .writeInt(Frames.PACKET_KEY_SIZE + len).writeBytes(key).writeBytes(datagram.duplicate());
        if (!queue.offer(f)) {
            f.release();
            drop(RelayDrop.QUEUE_FULL);
            return;
        }
        if (drainScheduled.compareAndSet(false, true)) {
            try {
                ch.eventLoop().execute(drainTask);
            } catch (RejectedExecutionException e) {
                drainScheduled.set(false);
                detach(ch);
            }
        }
    }

    private void drain() {
        drainScheduled.set(false);
        Channel ch = channel;
        ByteBuf b;
        if (ch == null || !ch.isActive()) {
            while ((b = queue.poll()) != null) {
                b.release();
                drop(RelayDrop.NOT_CONNECTED);
            }
            return;
        }
        int n = 0;
        long bytes = 0;
        while ((b = queue.poll()) != null) {
            bytes += b.readableBytes() - FrameHeader.SIZE - Frames.PACKET_KEY_SIZE;
            ch.write(b, ch.voidPromise());
            n++;
        }
        if (n > 0) {
            ch.flush();
            sent.addAndGet(0, n);
            sent.addAndGet(1, bytes);
        }
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
