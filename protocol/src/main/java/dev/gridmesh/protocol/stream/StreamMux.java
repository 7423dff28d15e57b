package dev.gridmesh.protocol.stream;

import dev.gridmesh.protocol.relay.FrameType;
import dev.gridmesh.protocol.relay.RelayDecodeException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * The tunnel streams of one connection, without I/O. Fed with the peer's stream frames ({@link #receive},
 * {@link #receiveData}) and the caller's actions ({@link #open}, {@link #accept}, {@link #send}, {@link #halfClose},
 * {@link #reset}, {@link #consumed}); the caller drains {@link #pollTransmit} (frames to send) and
 * {@link #pollEvent} (what happened) after every call.
 *
 * <pre>
 *  opener                                   acceptor
 *   open(target)  --STREAM_OPEN(target)-->   Opened -> accept(id) | reset(id, DENIED, "why")
 *   Accepted     <--STREAM_OPEN(empty)----
 *   send(bytes)   --STREAM_DATA---------->   Data (counts against the acceptor's window)
 *                <--STREAM_WINDOW_UPDATE--   consumed(id, n) once the bytes left the process
 *   halfClose     --STREAM_HALF_CLOSE---->   Eof (the other direction keeps flowing)
 *   Closed       <--STREAM_HALF_CLOSE----    Closed (both directions done)  | STREAM_RESET ends it at once
 * </pre>
 *
 * <b>Flow control</b>: every stream starts with {@link #INITIAL_WINDOW} bytes of credit each way; the receiver
 * returns credit with WINDOW_UPDATE after its caller reports bytes as consumed (at least a quarter window at a time),
 * so a stream whose reader stalls holds at most one window of memory at each hop. DATA beyond the window resets the
 * stream (FLOW_CONTROL); its neighbours are not touched. A receiver built with a larger {@code recvWindow} grants the
 * difference as one WINDOW_UPDATE as soon as the stream is accepted (the acceptor right after its accept, the opener
 * on receiving it), so both ends still start from the same {@link #INITIAL_WINDOW} and a peer that predates the
 * option needs no change: this is how an end point lets more bytes be in flight towards it (bandwidth-delay
 * product) without the relay, which keeps the initial window, holding more per stream.
 *
 * <p><b>Scheduling</b>: small frames (open, accept, window updates, resets) leave first, in order; stream data leaves
 * round-robin, at most {@link #QUANTUM} bytes per stream per turn, so a bulk stream cannot hold up an interactive one.
 * Control messages and relayed packets of the connection do not pass through the mux at all: the I/O edge writes them
 * directly and keeps only a bounded amount of stream data in flight, so they never wait behind bulk data.
 *
 * <p>Stream ids: the opener of a connection uses odd ids, increasing; an id is never reused on one connection.
 * Bad frames are dropped and counted ({@link StreamDrop}), resetting only the stream they name. Not thread-safe.
 *
 * @param <B> the buffer type of stream bytes (never copied by the mux)
 */
public final class StreamMux<B> {
    /** Credit each direction of a new stream starts with (both ends assume it). */
    public static final int INITIAL_WINDOW = 256 * 1024;
    /**
     * Largest DATA payload and the round-robin quantum. Not shortened to make header + payload one 16 KiB TLS record:
     * the Netty edges flush several frames at once and the TLS layer cuts full records across them, while a shorter
     * quantum would split every 16 KiB socket read into a full frame and a 12-byte one. (The blocking JDK client,
     * which writes one frame per record, sends 16 KiB - 12 itself.)
     */
    public static final int QUANTUM = 16 * 1024;
    /** Longest reset reason sent or kept, in UTF-8 bytes. */
    public static final int MAX_REASON = 200;
    public static final int DEFAULT_MAX_STREAMS = 1024;
    private static final byte[] EMPTY = new byte[0];

    private final BufferOps<B> ops;
    private final boolean opener;
    private final int maxStreams;
    private final int sendQueueLimit;
    private final int recvWindow;
    private final int updateThreshold;
    private final Consumer<StreamDrop> onDrop;
    private final Map<Long, S<B>> streams = new HashMap<>();
    private final ArrayDeque<Transmit<B>> urgent = new ArrayDeque<>();
    private final ArrayDeque<S<B>> ready = new ArrayDeque<>();
    private final ArrayDeque<StreamEvent<B>> events = new ArrayDeque<>();
    private final long[] drops = new long[StreamDrop.values().length];
    private long nextId = 1;
    private long lastPeerId;

    private static final class S<B> {
        final long id;
        final boolean mine;
        final ArrayDeque<B> queue = new ArrayDeque<>(4);
        boolean accepted;
        long queued;
        long sendWindow = INITIAL_WINDOW;
        long recvAvail = INITIAL_WINDOW;
        long pendingUpdate;
        boolean eofPending;
        boolean localClosed;
        boolean remoteClosed;
        boolean paused;
        boolean inReady;
        boolean closed;
        long sent;
        long received;

        S(long id, boolean mine) {
            this.id = id;
            this.mine = mine;
        }
    }

    /**
     * @param opener whether this end opens streams (odd ids); the other end only accepts
     * @param sendQueueLimit bytes queued per stream before {@link #send} asks the caller to stop reading
     */
    public StreamMux(BufferOps<B> ops, boolean opener, int maxStreams, int sendQueueLimit) {
        this(ops, opener, maxStreams, sendQueueLimit, INITIAL_WINDOW, null);
    }

    /**
     * @param recvWindow credit this end gives each stream's peer ({@code >= INITIAL_WINDOW}; the excess is granted with
     *     one WINDOW_UPDATE at accept): the most bytes of one stream that can be buffered here waiting to be consumed
     * @param onDrop told of every refused frame as it is counted (e.g. the relay's counters), or null
     */
    public StreamMux(BufferOps<B> ops, boolean opener, int maxStreams, int sendQueueLimit, int recvWindow,
            Consumer<StreamDrop> onDrop) {
        this.ops = Objects.requireNonNull(ops, "ops");
        this.opener = opener;
        if (maxStreams < 1) {
            throw new IllegalArgumentException("maxStreams " + maxStreams + " (expected: >= 1)");
        }
        if (sendQueueLimit < 1) {
            throw new IllegalArgumentException("sendQueueLimit " + sendQueueLimit + " (expected: >= 1)");
        }
        if (recvWindow < INITIAL_WINDOW) {
            throw new IllegalArgumentException("recvWindow " + recvWindow + " (expected: >= " + INITIAL_WINDOW + ")");
        }
        this.maxStreams = maxStreams;
        this.sendQueueLimit = sendQueueLimit;
        this.recvWindow = recvWindow;
        this.updateThreshold = recvWindow / 4;
        this.onDrop = onDrop;
    }

    public StreamMux(BufferOps<B> ops, boolean opener) {
        this(ops, opener, DEFAULT_MAX_STREAMS, INITIAL_WINDOW);
    }

    // ---------------------------------------------------------------- local actions

    /** Opens a stream to {@code target}; bytes may be queued at once and flow once the peer accepts. */
    public long open(StreamTarget target) {
        if (!opener) {
            throw new IllegalStateException("this end only accepts streams");
        }
        long id = nextId;
        nextId += 2;
        if (id > 0xffff_ffffL) {
            throw new IllegalStateException("stream ids exhausted on this connection");
        }
        streams.put(id, new S<>(id, true));
        urgent.add(new Transmit.Frame<>(FrameType.STREAM_OPEN, id, target.encode()));
        return id;
    }

    /** Accepts a stream the peer opened ({@link StreamEvent.Opened}). */
    public void accept(long id) {
        S<B> s = streams.get(id);
        if (s == null || s.mine || s.accepted) {
            return;
        }
        s.accepted = true;
        urgent.add(new Transmit.Frame<>(FrameType.STREAM_OPEN, id, EMPTY));
        grantExtraWindow(s);
        maybeReady(s);
    }

    /** Once accepted: the credit beyond {@link #INITIAL_WINDOW} this end allows (see the class comment). */
    private void grantExtraWindow(S<B> s) {
        int extra = recvWindow - INITIAL_WINDOW;
        if (extra > 0) {
            s.recvAvail += extra;
            urgent.add(windowUpdate(s.id, extra));
        }
    }

    private static <B> Transmit.Frame<B> windowUpdate(long id, long inc) {
        byte[] p = new byte[4];
        ByteBuffer.wrap(p).putInt((int) inc);
        return new Transmit.Frame<>(FrameType.STREAM_WINDOW_UPDATE, id, p);
    }

    /**
     * Queues {@code bytes} (ownership passes to the mux). Returns whether the caller may read more for this stream
     * now; after false, wait for {@link StreamEvent.Writable}. Bytes for a stream that is gone or half-closed are
     * released and false is returned.
     */
    public boolean send(long id, B bytes) {
        S<B> s = streams.get(id);
        int n = ops.length(bytes);
        if (s == null || s.eofPending || s.localClosed || n == 0) {
            ops.release(bytes);
            return s != null && n == 0 && !s.eofPending;
        }
        s.queue.add(bytes);
        s.queued += n;
        maybeReady(s);
        if (s.queued >= sendQueueLimit) {
            s.paused = true;
            return false;
        }
        return true;
    }

    /** Bytes queued for {@code id} and not yet handed out by {@link #pollTransmit}. */
    public long queued(long id) {
        S<B> s = streams.get(id);
        return s == null ? 0 : s.queued;
    }

    /** Credit left to send on {@code id}. */
    public long sendWindow(long id) {
        S<B> s = streams.get(id);
        return s == null ? 0 : s.sendWindow;
    }

    /** No more bytes from this end: HALF_CLOSE follows the queued bytes. */
    public void halfClose(long id) {
        S<B> s = streams.get(id);
        if (s == null || s.eofPending || s.localClosed) {
            return;
        }
        s.eofPending = true;
        maybeReady(s);
    }

    /** Aborts the stream both ways; the peer gets STREAM_RESET with {@code code} and {@code reason}. */
    public void reset(long id, ResetCode code, String reason) {
        Objects.requireNonNull(code, "code");
        S<B> s = streams.get(id);
        if (s == null) {
            return;
        }
        urgent.add(resetFrame(id, code, reason));
        finish(s, code, reason, false);
    }

    /** {@code n} received bytes of {@code id} have left this process: give the peer that much credit back. */
    public void consumed(long id, int n) {
        S<B> s = streams.get(id);
        if (s == null || s.remoteClosed || n <= 0) {
            return;
        }
        s.pendingUpdate += n;
        if (s.pendingUpdate >= updateThreshold) {
            long inc = s.pendingUpdate;
            s.pendingUpdate = 0;
            s.recvAvail += inc;
            urgent.add(windowUpdate(id, inc));
        }
    }

    /** The connection is gone: every stream ends with {@code code} (nothing is sent). */
    public void closeAll(ResetCode code, String reason) {
        for (S<B> s : new ArrayList<>(streams.values())) {
            finish(s, code, reason, false);
        }
        urgent.clear();
        ready.clear();
    }

    // ---------------------------------------------------------------- peer frames

    /** A STREAM_OPEN, STREAM_WINDOW_UPDATE, STREAM_HALF_CLOSE or STREAM_RESET frame from the peer. */
    public void receive(FrameType type, long id, ByteBuffer payload) {
        S<B> s = streams.get(id);
        switch (type) {
            case STREAM_OPEN -> {
                if (!payload.hasRemaining()) {
                    if (s == null || !s.mine || s.accepted) {
                        drop(StreamDrop.UNEXPECTED_ACCEPT);
                        return;
                    }
                    s.accepted = true;
                    events.add(new StreamEvent.Accepted<>(id));
                    grantExtraWindow(s);
                    maybeReady(s);
                    return;
                }
                if (opener || (id & 1) == 0 || id <= lastPeerId) {
                    drop(StreamDrop.BAD_STREAM_ID);
                    if (s == null) {
                        urgent.add(resetFrame(id, ResetCode.PROTOCOL, "stream id " + id + " not usable by the opener"));
                    }
                    return;
                }
                lastPeerId = id;
                StreamTarget t;
                try {
                    t = StreamTarget.decode(payload);
                } catch (RelayDecodeException | IllegalArgumentException e) {
                    drop(StreamDrop.BAD_PAYLOAD);
                    urgent.add(resetFrame(id, ResetCode.PROTOCOL, e.getMessage()));
                    return;
                }
                if (streams.size() >= maxStreams) {
                    drop(StreamDrop.TOO_MANY_STREAMS);
                    urgent.add(resetFrame(id, ResetCode.TOO_MANY_STREAMS, streams.size() + " streams open (limit " + maxStreams + ")"));
                    return;
                }
                streams.put(id, new S<>(id, false));
                events.add(new StreamEvent.Opened<>(id, t));
            }
            case STREAM_WINDOW_UPDATE -> {
                if (s == null) {
                    drop(StreamDrop.UNKNOWN_STREAM);
                    return;
                }
                if (payload.remaining() != 4) {
                    violation(s, StreamDrop.BAD_PAYLOAD, ResetCode.PROTOCOL, "window update of " + payload.remaining() + " bytes (expected: 4)");
                    return;
                }
                long inc = payload.getInt(payload.position()) & 0xffff_ffffL;
                if (inc == 0 || s.sendWindow + inc > Integer.MAX_VALUE) {
                    violation(s, StreamDrop.WINDOW_OVERFLOW, ResetCode.FLOW_CONTROL, "window increment " + inc + " on " + s.sendWindow);
                    return;
                }
                s.sendWindow += inc;
                maybeReady(s);
            }
            case STREAM_HALF_CLOSE -> {
                if (s == null) {
                    drop(StreamDrop.UNKNOWN_STREAM);
                    return;
                }
                if (payload.hasRemaining()) {
                    violation(s, StreamDrop.BAD_PAYLOAD, ResetCode.PROTOCOL, "half-close with a payload");
                    return;
                }
                if (s.remoteClosed || !s.accepted) {
                    violation(s, StreamDrop.DATA_AFTER_EOF, ResetCode.PROTOCOL, s.accepted ? "second half-close" : "half-close before accept");
                    return;
                }
                s.remoteClosed = true;
                events.add(new StreamEvent.Eof<>(id));
                if (s.localClosed) {
                    finish(s, null, "", false);
                }
            }
            case STREAM_RESET -> {
                if (s == null) {
                    drop(StreamDrop.UNKNOWN_STREAM);
                    return;
                }
                ResetCode code = ResetCode.PROTOCOL;
                String reason = "";
                if (payload.remaining() >= 2) {
                    ByteBuffer p = payload.duplicate();
                    code = ResetCode.of(p.getShort() & 0xffff);
                    int len = Math.min(p.remaining(), MAX_REASON);
                    byte[] r = new byte[len];
                    p.get(r);
                    reason = printable(new String(r, StandardCharsets.UTF_8));
                }
                finish(s, code, reason, true);
            }
            default -> throw new IllegalArgumentException(type + " is not a stream control frame");
        }
    }

    /** A STREAM_DATA frame from the peer; ownership of {@code bytes} passes to the mux. */
    public void receiveData(long id, B bytes) {
        int n = ops.length(bytes);
        S<B> s = streams.get(id);
        if (s == null) {
            ops.release(bytes);
            drop(StreamDrop.UNKNOWN_STREAM);
            return;
        }
        if (!s.accepted || s.remoteClosed) {
            ops.release(bytes);
            violation(s, StreamDrop.DATA_AFTER_EOF, ResetCode.PROTOCOL, s.accepted ? "data after half-close" : "data before accept");
            return;
        }
        if (n > s.recvAvail) {
            ops.release(bytes);
            violation(s, StreamDrop.FLOW_CONTROL, ResetCode.FLOW_CONTROL, n + " bytes with " + s.recvAvail + " of window left");
            return;
        }
        if (n == 0) {
            ops.release(bytes);
            return;
        }
        s.recvAvail -= n;
        s.received += n;
        events.add(new StreamEvent.Data<>(id, bytes));
    }

    // ---------------------------------------------------------------- output

    /** The next frame to send, or null. Small frames first, then stream data round-robin. */
    public Transmit<B> pollTransmit() {
        Transmit<B> t = urgent.poll();
        if (t != null) {
            return t;
        }
        S<B> s;
        while ((s = ready.poll()) != null) {
            s.inReady = false;
            if (s.closed || !s.accepted) {
                continue;
            }
            if (s.queued > 0 && s.sendWindow > 0) {
                B head = s.queue.peek();
                int hl = ops.length(head);
                int n = (int) Math.min(Math.min(QUANTUM, s.sendWindow), hl);
                B out = n == hl ? s.queue.poll() : ops.take(head, n);
                s.queued -= n;
                s.sendWindow -= n;
                s.sent += n;
                if (s.paused && s.queued <= sendQueueLimit / 2) {
                    s.paused = false;
                    events.add(new StreamEvent.Writable<>(s.id));
                }
                maybeReady(s);
                return new Transmit.Data<>(s.id, out);
            }
            if (s.eofPending && s.queued == 0 && !s.localClosed) {
                s.localClosed = true;
                Transmit<B> hc = new Transmit.Frame<>(FrameType.STREAM_HALF_CLOSE, s.id, EMPTY);
                if (s.remoteClosed) {
                    finish(s, null, "", false);
                }
                return hc;
            }
        }
        return null;
    }

    public StreamEvent<B> pollEvent() {
        return events.poll();
    }

    /** Whether {@link #pollTransmit} has something now. */
    public boolean hasTransmit() {
        if (!urgent.isEmpty()) {
            return true;
        }
        for (S<B> s : ready) {
            if (!s.closed && s.accepted) {
                return true;
            }
        }
        return false;
    }

    /** Open streams. */
    public int size() {
        return streams.size();
    }

    public boolean isOpen(long id) {
        return streams.containsKey(id);
    }

    /** Ids of the open streams. */
    public List<Long> ids() {
        return List.copyOf(streams.keySet());
    }

    public long drops(StreamDrop reason) {
        return drops[reason.ordinal()];
    }

    // ---------------------------------------------------------------- internals

    private void maybeReady(S<B> s) {
        if (s.inReady || s.closed || !s.accepted) {
            return;
        }
        if ((s.queued > 0 && s.sendWindow > 0) || (s.eofPending && s.queued == 0 && !s.localClosed)) {
            s.inReady = true;
            ready.add(s);
        }
    }

    private void violation(S<B> s, StreamDrop d, ResetCode code, String reason) {
        drop(d);
        urgent.add(resetFrame(s.id, code, reason));
        finish(s, code, reason, false);
    }

    private void drop(StreamDrop d) {
        drops[d.ordinal()]++;
        if (onDrop != null) {
            onDrop.accept(d);
        }
    }

    private void finish(S<B> s, ResetCode code, String reason, boolean byPeer) {
        if (s.closed) {
            return;
        }
        s.closed = true;
        streams.remove(s.id);
        B b;
        while ((b = s.queue.poll()) != null) {
            ops.release(b);
        }
        s.queued = 0;
        events.add(new StreamEvent.Closed<>(s.id, code, reason == null ? "" : reason, byPeer, s.sent, s.received));
    }

    /** A STREAM_RESET frame: u16 code, then the reason in UTF-8 (at most {@link #MAX_REASON} bytes). */
    public static <B> Transmit.Frame<B> resetFrame(long id, ResetCode code, String reason) {
        byte[] r = reason == null ? EMPTY : reason.getBytes(StandardCharsets.UTF_8);
        int len = Math.min(r.length, MAX_REASON);
        byte[] p = new byte[2 + len];
        p[0] = (byte) (code.code() >>> 8);
        p[1] = (byte) code.code();
        System.arraycopy(r, 0, p, 2, len);
        return new Transmit.Frame<>(FrameType.STREAM_RESET, id, p);
    }

    private static String printable(String s) {
        StringBuilder b = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            b.append(c < 0x20 || c == 0x7f ? '?' : c);
        }
        return b.toString();
    }
}
