package dev.gridmesh.relay.cluster;

import dev.gridmesh.protocol.netty.ByteBufOps;
import dev.gridmesh.protocol.relay.ControlMessage;
import dev.gridmesh.protocol.relay.FrameHeader;
import dev.gridmesh.protocol.relay.FrameType;
import dev.gridmesh.protocol.stream.ResetCode;
import dev.gridmesh.protocol.stream.StreamEvent;
import dev.gridmesh.protocol.stream.StreamMux;
import dev.gridmesh.protocol.stream.StreamTarget;
import dev.gridmesh.protocol.stream.Transmit;
import dev.gridmesh.testsupport.relay.RelayTestAgent;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A stand-in stream endpoint over blocking frames: the engineer (opener) on an upgraded tunnel connection, or the
 * worker agent (acceptor) on a {@link RelayTestAgent}. A {@link StreamMux} does flow control; a reader thread feeds
 * it; received data is handed to the test as {@code byte[]} and its credit returned at once unless
 * {@link #holdCredit} is set. Events are queued for the test to await (bounded waits).
 */
final class StreamPeer implements AutoCloseable {
    /** Where frames come from and go to. */
    interface Wire {
        RelayTestAgent.Frame read() throws IOException;

        void write(byte[] bytes) throws IOException;
    }

    private final Wire wire;
    private final StreamMux<ByteBuf> mux;
    private final BlockingQueue<StreamEvent<byte[]>> events = new LinkedBlockingQueue<>();
    private final Thread reader;
    private volatile boolean holdCredit;
    private long held; // guarded by this: received bytes whose credit is held back
    private long heldId; // guarded by this

    StreamPeer(Wire wire, boolean opener) {
        this.wire = wire;
        this.mux = new StreamMux<>(ByteBufOps.INSTANCE, opener, 64, 64 << 20);
        this.reader = Thread.ofVirtual().start(this::readLoop);
    }

    /** The worker side on a registered stand-in agent (answers the relay's pings). */
    static StreamPeer agent(RelayTestAgent a) {
        return new StreamPeer(new Wire() {
            @Override
            public RelayTestAgent.Frame read() throws IOException {
                return a.readFrame();
            }

            @Override
            public void write(byte[] bytes) throws IOException {
                a.sendRaw(bytes);
            }
        }, false);
    }

    /** The engineer side on an upgraded tunnel connection. */
    static StreamPeer engineer(DataInputStream in, OutputStream out) {
        return new StreamPeer(new Wire() {
            @Override
            public RelayTestAgent.Frame read() throws IOException {
                byte[] h = new byte[FrameHeader.SIZE];
                in.readFully(h);
                FrameHeader header;
                try {
                    header = FrameHeader.decode(ByteBuffer.wrap(h), Integer.MAX_VALUE);
                } catch (dev.gridmesh.protocol.relay.RelayDecodeException e) {
                    throw new IOException(e);
                }
                byte[] p = new byte[header.length()];
                in.readFully(p);
                return new RelayTestAgent.Frame(header, p);
            }

            @Override
            public void write(byte[] bytes) throws IOException {
                out.write(bytes);
                out.flush();
            }
        }, true);
    }

    private void readLoop() {
        try {
            while (true) {
                RelayTestAgent.Frame f = wire.read();
                FrameType t = f.header().type();
                if (t == FrameType.CONTROL) {
                    if (f.control() instanceof ControlMessage.Ping p) {
                        synchronized (this) {
                            wire.write(dev.gridmesh.protocol.relay.Frames.control(new ControlMessage.Pong(p.nonce())));
                        }
                    }
                    continue;
                }
                if (!t.isStream()) {
                    continue;
                }
                synchronized (this) {
                    if (t == FrameType.STREAM_DATA) {
                        mux.receiveData(f.header().streamId(), Unpooled.wrappedBuffer(f.payload()));
                    } else {
                        mux.receive(t, f.header().streamId(), ByteBuffer.wrap(f.payload()));
                    }
                    pump();
                }
            }
        } catch (Exception e) {
            events.add(new StreamEvent.Closed<>(-1, ResetCode.PEER_GONE, "wire: " + e, true, 0, 0));
        }
    }

    static byte[] frame(FrameType type, long id, byte[] payload) {
        byte[] f = new byte[FrameHeader.SIZE + payload.length];
        new FrameHeader(type, 0, id, payload.length).encode(f, 0);
        System.arraycopy(payload, 0, f, FrameHeader.SIZE, payload.length);
        return f;
    }

    /** Delivers events and writes what the mux has to send. Holding the lock. */
    private void pump() throws IOException {
        while (true) {
            StreamEvent<ByteBuf> e = mux.pollEvent();
            if (e != null) {
                events.add(switch (e) {
                    case StreamEvent.Data<ByteBuf> d -> {
                        byte[] b = new byte[d.bytes().readableBytes()];
                        d.bytes().readBytes(b);
                        d.bytes().release();
                        if (holdCredit) {
                            held += b.length;
                            heldId = d.id();
                        } else {
                            mux.consumed(d.id(), b.length);
                        }
                        yield new StreamEvent.Data<>(d.id(), b);
                    }
                    case StreamEvent.Opened<ByteBuf> o -> new StreamEvent.Opened<>(o.id(), o.target());
                    case StreamEvent.Accepted<ByteBuf> a -> new StreamEvent.Accepted<>(a.id());
                    case StreamEvent.Eof<ByteBuf> f -> new StreamEvent.Eof<>(f.id());
                    case StreamEvent.Writable<ByteBuf> w -> new StreamEvent.Writable<>(w.id());
                    case StreamEvent.Closed<ByteBuf> c -> new StreamEvent.Closed<>(c.id(), c.code(), c.reason(),
                            c.byPeer(), c.bytesSent(), c.bytesReceived());
                });
                continue;
            }
            Transmit<ByteBuf> t = mux.pollTransmit();
            if (t == null) {
                return;
            }
            switch (t) {
                case Transmit.Frame<ByteBuf> f -> wire.write(frame(f.type(), f.id(), f.payload()));
                case Transmit.Data<ByteBuf> d -> {
                    byte[] b = new byte[d.bytes().readableBytes()];
                    d.bytes().readBytes(b);
                    d.bytes().release();
                    wire.write(frame(FrameType.STREAM_DATA, d.id(), b));
                }
            }
        }
    }

    synchronized long open(StreamTarget t) throws IOException {
        long id = mux.open(t);
        pump();
        return id;
    }

    synchronized void accept(long id) throws IOException {
        mux.accept(id);
        pump();
    }

    synchronized void send(long id, byte[] b) throws IOException {
        mux.send(id, Unpooled.wrappedBuffer(b));
        pump();
    }

    synchronized void halfClose(long id) throws IOException {
        mux.halfClose(id);
        pump();
    }

    synchronized void reset(long id, ResetCode code, String why) throws IOException {
        mux.reset(id, code, why);
        pump();
    }

    synchronized long queued(long id) {
        return mux.queued(id);
    }

    synchronized long sendWindow(long id) {
        return mux.sendWindow(id);
    }

    /** Stops (true) or resumes (false, returning what was held back) giving credit for received bytes. */
    synchronized void holdCredit(boolean hold) throws IOException {
        holdCredit = hold;
        if (!hold && held > 0) {
            mux.consumed(heldId, (int) held);
            held = 0;
            pump();
        }
    }

    /** The next event of type {@code type}, skipping Writable; fails after {@code d} or on another type. */
    <T extends StreamEvent<byte[]>> T await(Class<T> type, Duration d) throws InterruptedException {
        while (true) {
            StreamEvent<byte[]> e = events.poll(d.toMillis(), TimeUnit.MILLISECONDS);
            if (e == null) {
                throw new AssertionError("no " + type.getSimpleName() + " within " + d);
            }
            if (e instanceof StreamEvent.Writable<byte[]>) {
                continue;
            }
            if (!type.isInstance(e)) {
                throw new AssertionError("expected " + type.getSimpleName() + ", got " + e);
            }
            return type.cast(e);
        }
    }

    /** The next event other than Writable, or null after {@code d}. */
    StreamEvent<byte[]> next(Duration d) throws InterruptedException {
        while (true) {
            StreamEvent<byte[]> e = events.poll(d.toMillis(), TimeUnit.MILLISECONDS);
            if (!(e instanceof StreamEvent.Writable<byte[]>)) {
                return e;
            }
        }
    }

    @Override
    public void close() {
        reader.interrupt();
    }
}
