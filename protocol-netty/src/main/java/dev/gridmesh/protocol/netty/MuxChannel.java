package dev.gridmesh.protocol.netty;

import dev.gridmesh.protocol.relay.FrameHeader;
import dev.gridmesh.protocol.relay.FrameType;
import dev.gridmesh.protocol.stream.ResetCode;
import dev.gridmesh.protocol.stream.StreamDrop;
import dev.gridmesh.protocol.stream.StreamEvent;
import dev.gridmesh.protocol.stream.StreamMux;
import dev.gridmesh.protocol.stream.Transmit;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * The I/O edge of a {@link StreamMux} on one Netty channel whose pipeline already frames bytes: the relay's agent
 * and engineer connections, and the agent's relay connection. Every method runs on the channel's event loop ({@link #run} gets there).
 *
 * <p>Stream data is written only while less than {@link #IN_FLIGHT_LIMIT} bytes of it are unflushed, so the
 * control messages and relayed packets that other handlers write to the same channel wait behind at most that
 * much; each completed data write drains the mux again and is reported to {@link Listener#sent} (the joiner
 * returns that much credit on the other leg: the HexDumpProxy rule, read again only after the write went out).
 *
 * <p>Flushes are deferred to one task on the event loop: every frame written while a read is decoded, or while
 * other legs hand over data, goes out in one flush (one TLS wrap pass, one {@code writev}) instead of one flush per
 * 16 KiB frame. The task runs after the loop's current I/O batch, so an interactive frame waits microseconds.
 */
public final class MuxChannel {
    /** Unflushed stream bytes allowed in the channel's outbound buffer. */
    public static final int IN_FLIGHT_LIMIT = 256 * 1024;

    /** Receives the mux's events on the event loop. */
    public interface Listener {
        void event(MuxChannel ch, StreamEvent<ByteBuf> e);

        /** {@code n} bytes of stream {@code id} were written to the socket. */
        void sent(MuxChannel ch, long id, int n);
    }

    private final Channel channel;
    private final StreamMux<ByteBuf> mux;
    private final Listener listener;
    private long inFlight;
    private boolean pumping;
    private boolean closed;
    private boolean flushScheduled;
    private final Runnable flushTask = this::flushNow;

    public MuxChannel(Channel channel, boolean opener, int maxStreams, Listener listener) {
        this(channel, opener, maxStreams, StreamMux.INITIAL_WINDOW, null, listener);
    }

    /**
     * @param recvWindow credit per stream this end grants its peer ({@link StreamMux}: {@code INITIAL_WINDOW} keeps
     *     at most one initial window per stream buffered here)
     * @param drops told of every stream frame the mux refused (counters), or null
     */
    public MuxChannel(Channel channel, boolean opener, int maxStreams, int recvWindow, Consumer<StreamDrop> drops,
            Listener listener) {
        this.channel = Objects.requireNonNull(channel, "channel");
        this.listener = Objects.requireNonNull(listener, "listener");
        this.mux = new StreamMux<>(ByteBufOps.INSTANCE, opener, maxStreams, StreamMux.INITIAL_WINDOW * 2, recvWindow, drops);
        channel.closeFuture().addListener(f -> run(() -> {
            closed = true;
            mux.closeAll(ResetCode.PEER_GONE, "connection lost");
            pump();
        }));
    }

    public Channel channel() {
        return channel;
    }

    /** The mux; only on the event loop, and call {@link #pump} after acting on it. */
    public StreamMux<ByteBuf> mux() {
        return mux;
    }

    public boolean isClosed() {
        return closed;
    }

    /** Runs {@code r} on the channel's event loop (at once when already there). */
    public void run(Runnable r) {
        if (channel.eventLoop().inEventLoop()) {
            r.run();
        } else {
            channel.eventLoop().execute(r);
        }
    }

    /** A stream frame from the peer; takes ownership of {@code payload}. On the event loop. */
    public void frame(FrameType type, long id, ByteBuf payload) {
        if (closed) {
            payload.release();
            return;
        }
        if (type == FrameType.STREAM_DATA) {
            mux.receiveData(id, payload);
        } else {
            try {
                mux.receive(type, id, payload.nioBuffer());
            } finally {
                payload.release();
            }
        }
        pump();
    }

    /** Delivers events and writes what the mux has to send, until neither has more. On the event loop. */
    public void pump() {
        if (pumping) {
            return; // a listener acted on the mux; the outer loop picks it up
        }
        pumping = true;
        try {
            boolean wrote = false;
            while (true) {
                StreamEvent<ByteBuf> e = mux.pollEvent();
                if (e != null) {
                    listener.event(this, e);
                    continue;
                }
                if (closed || inFlight >= IN_FLIGHT_LIMIT) {
                    break;
                }
                Transmit<ByteBuf> t = mux.pollTransmit();
                if (t == null) {
                    break;
                }
                write(t);
                wrote = true;
            }
            if (wrote && !flushScheduled) {
                flushScheduled = true;
                channel.eventLoop().execute(flushTask);
            }
        } finally {
            pumping = false;
        }
    }

    private void flushNow() {
        flushScheduled = false;
        channel.flush();
    }

    private void write(Transmit<ByteBuf> t) {
        switch (t) {
            case Transmit.Frame<ByteBuf> f -> {
                ByteBuf b = channel.alloc().buffer(FrameHeader.SIZE + f.payload().length);
                new FrameHeader(f.type(), 0, f.id(), f.payload().length).encode(b.nioBuffer(0, FrameHeader.SIZE));
                b.writerIndex(FrameHeader.SIZE);
                b.writeBytes(f.payload());
                channel.write(b, channel.voidPromise());
            }
            case Transmit.Data<ByteBuf> d -> {
                ByteBuf payload = d.bytes();
                int n = payload.readableBytes();
                ByteBuf h = channel.alloc().buffer(FrameHeader.SIZE);
                new FrameHeader(FrameType.STREAM_DATA, 0, d.id(), n).encode(h.nioBuffer(0, FrameHeader.SIZE));
                h.writerIndex(FrameHeader.SIZE);
                inFlight += n;
                long id = d.id();
                // two writes, not a FixedCompositeByteBuf: that one reads a component from index 0, and a payload
                // the mux split with readRetainedSlice has a non-zero reader index (found by the netns test)
                channel.write(h, channel.voidPromise());
                channel.write(payload).addListener(f -> {
                    inFlight -= n;
                    if (f.isSuccess()) {
                        listener.sent(this, id, n);
                    }
                    pump();
                });
            }
        }
    }
}
