package dev.gridmesh.protocol.stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gridmesh.protocol.relay.FrameType;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Two muxes wired back to back (no I/O, no threads): what one transmits the other receives. */
class StreamMuxPairTest {
    static final BufferOps<ByteBuffer> OPS = new BufferOps<>() {
        @Override
        public int length(ByteBuffer b) {
            return b.remaining();
        }

        @Override
        public ByteBuffer take(ByteBuffer b, int n) {
            ByteBuffer s = b.slice(b.position(), n);
            b.position(b.position() + n);
            return s;
        }

        @Override
        public void release(ByteBuffer b) {
        }
    };

    /** One end plus what it has received, per stream. */
    static final class End {
        final StreamMux<ByteBuffer> mux;
        final Map<Long, ByteArrayOutputStream> got = new HashMap<>();
        final List<StreamEvent<ByteBuffer>> events = new ArrayList<>();
        boolean autoConsume = true;
        boolean autoAccept = true;

        End(boolean opener) {
            mux = new StreamMux<>(OPS, opener);
        }

        End(boolean opener, int recvWindow, java.util.function.Consumer<StreamDrop> drops) {
            mux = new StreamMux<>(OPS, opener, StreamMux.DEFAULT_MAX_STREAMS, StreamMux.INITIAL_WINDOW, recvWindow, drops);
        }

        void drainEvents() {
            StreamEvent<ByteBuffer> e;
            while ((e = mux.pollEvent()) != null) {
                events.add(e);
                switch (e) {
                    case StreamEvent.Opened<ByteBuffer> o -> {
                        if (autoAccept) {
                            mux.accept(o.id());
                        }
                    }
                    case StreamEvent.Data<ByteBuffer> d -> {
                        int n = d.bytes().remaining();
                        byte[] b = new byte[n];
                        d.bytes().get(b);
                        got.computeIfAbsent(d.id(), k -> new ByteArrayOutputStream()).writeBytes(b);
                        if (autoConsume) {
                            mux.consumed(d.id(), n);
                        }
                    }
                    default -> { }
                }
            }
        }

        byte[] got(long id) {
            ByteArrayOutputStream o = got.get(id);
            return o == null ? new byte[0] : o.toByteArray();
        }

        <T> List<T> events(Class<T> type) {
            return events.stream().filter(type::isInstance).map(type::cast).toList();
        }
    }

    End a = new End(true);
    End b = new End(false);
    /** Frames in the order they crossed, for scheduling checks. */
    final List<String> wire = new ArrayList<>();

    /** Moves frames both ways until nothing moves (or {@code maxFrames}). */
    int pump(int maxFrames) {
        int moved = 0;
        boolean any = true;
        while (any && moved < maxFrames) {
            any = false;
            a.drainEvents();
            b.drainEvents();
            for (End[] p : new End[][] {{a, b}, {b, a}}) {
                Transmit<ByteBuffer> t = p[0].mux.pollTransmit();
                if (t != null) {
                    deliver(t, p[1]);
                    any = true;
                    moved++;
                }
            }
        }
        a.drainEvents();
        b.drainEvents();
        return moved;
    }

    void deliver(Transmit<ByteBuffer> t, End to) {
        switch (t) {
            case Transmit.Data<ByteBuffer> d -> {
                wire.add("D" + d.id() + ":" + d.bytes().remaining());
                to.mux.receiveData(d.id(), d.bytes());
            }
            case Transmit.Frame<ByteBuffer> f -> {
                wire.add(f.type() + "" + f.id());
                to.mux.receive(f.type(), f.id(), ByteBuffer.wrap(f.payload()));
            }
        }
    }

    static ByteBuffer bytes(String s) {
        return ByteBuffer.wrap(s.getBytes(StandardCharsets.UTF_8));
    }

    static byte[] random(int n, long seed) {
        byte[] r = new byte[n];
        new Random(seed).nextBytes(r);
        return r;
    }

    @Test
    void openAcceptDataAndExactHalfCloseEachWay() {
        long id = a.mux.open(new StreamTarget("worker", 22));
        assertEquals(1, id);
        assertTrue(a.mux.send(id, bytes("hello")));
        pump(100);
        assertEquals(new StreamTarget("worker", 22), b.events(StreamEvent.Opened.class).getFirst().target());
        assertEquals(1, a.events(StreamEvent.Accepted.class).size());
        assertEquals("hello", new String(b.got(id), StandardCharsets.UTF_8));

        a.mux.halfClose(id);
        pump(100);
        assertEquals(1, b.events(StreamEvent.Eof.class).size());
        assertTrue(a.mux.isOpen(id), "the other direction stays open");
        // data still flows b -> a after a's EOF
        b.mux.send(id, bytes("reply after eof"));
        pump(100);
        assertEquals("reply after eof", new String(a.got(id), StandardCharsets.UTF_8));
        assertTrue(a.events(StreamEvent.Eof.class).isEmpty());
        // a cannot send after its half-close
        assertFalse(a.mux.send(id, bytes("late")));
        b.mux.halfClose(id);
        pump(100);
        assertEquals(1, a.events(StreamEvent.Eof.class).size());
        StreamEvent.Closed<?> ca = a.events(StreamEvent.Closed.class).getFirst();
        StreamEvent.Closed<?> cb = b.events(StreamEvent.Closed.class).getFirst();
        assertTrue(ca.clean());
        assertTrue(cb.clean());
        assertEquals(5, ca.bytesSent());
        assertEquals(15, ca.bytesReceived());
        assertEquals(0, a.mux.size());
        assertEquals(0, b.mux.size());
    }

    @Test
    void dataWaitsForAcceptAndRefusalCarriesReason() {
        b.autoAccept = false;
        long id = a.mux.open(new StreamTarget("worker", 8080));
        a.mux.send(id, bytes("x"));
        pump(100);
        assertEquals(0, b.got(id).length, "no data before accept");
        b.mux.reset(id, ResetCode.DENIED, "port 8080 not allowed by the agent (allowed: 22)");
        pump(100);
        StreamEvent.Closed<?> c = a.events(StreamEvent.Closed.class).getFirst();
        assertEquals(ResetCode.DENIED, c.code());
        assertTrue(c.byPeer());
        assertEquals("port 8080 not allowed by the agent (allowed: 22)", c.reason());
        assertEquals(0, a.mux.size());
    }

    @Test
    void senderStopsAtTheWindowUntilTheReceiverConsumes() {
        b.autoConsume = false;
        long id = a.mux.open(new StreamTarget("w", 22));
        byte[] data = random(1024 * 1024, 1);
        ByteBuffer all = ByteBuffer.wrap(data);
        // feed in 64 KiB pieces, as an edge would, honouring send()'s answer
        while (all.hasRemaining() && a.mux.send(id, OPS.take(all, Math.min(65536, all.remaining())))) {
            pump(10_000);
        }
        pump(10_000);
        assertEquals(StreamMux.INITIAL_WINDOW, b.got(id).length, "exactly one window crosses without credit");
        assertEquals(0, a.mux.sendWindow(id));
        // the receiver consumes; credit returns; everything arrives
        b.autoConsume = true;
        b.mux.consumed(id, StreamMux.INITIAL_WINDOW);
        while (all.hasRemaining() || a.mux.queued(id) > 0) {
            pump(10_000);
            while (all.hasRemaining() && a.mux.send(id, OPS.take(all, Math.min(65536, all.remaining())))) {
                pump(10_000);
            }
            pump(10_000);
        }
        assertArrayEquals(data, b.got(id));
        assertEquals(0, b.mux.drops(StreamDrop.FLOW_CONTROL));
    }

    /** Feeds {@code all} to {@code from} in 64 KiB pieces as an edge would, honouring send()'s answer, and pumps. */
    void feed(End from, long id, ByteBuffer all) {
        while (all.hasRemaining() && from.mux.send(id, OPS.take(all, Math.min(65536, all.remaining())))) {
            pump(10_000);
        }
        pump(10_000);
    }

    @Test
    void aLargerReceiveWindowIsGrantedOnAcceptBothWays() {
        int win = 1024 * 1024;
        a = new End(true, win, null); // the opener (engineer client) takes up to 1 MiB from b
        b = new End(false, win, null); // the acceptor (agent) takes up to 1 MiB from a
        a.autoConsume = false;
        b.autoConsume = false;
        long id = a.mux.open(new StreamTarget("w", 22));
        pump(100);
        assertEquals(win, a.mux.sendWindow(id), "the acceptor's grant arrived with its accept");
        assertEquals(win, b.mux.sendWindow(id), "the opener granted its extra credit on the accept");
        feed(a, id, ByteBuffer.wrap(random(3 * win, 2)));
        feed(b, id, ByteBuffer.wrap(random(3 * win, 3)));
        assertEquals(win, b.got(id).length, "a -> b: exactly the larger window crosses without credit");
        assertEquals(win, a.got(id).length, "b -> a: exactly the larger window crosses without credit");
        assertEquals(0, a.mux.drops(StreamDrop.FLOW_CONTROL) + b.mux.drops(StreamDrop.FLOW_CONTROL));
        // credit comes back a quarter of the larger window at a time
        wire.clear();
        b.mux.consumed(id, win / 4 - 1);
        pump(100);
        assertTrue(wire.stream().noneMatch(w -> w.startsWith("STREAM_WINDOW_UPDATE")), wire.toString());
        b.mux.consumed(id, 1);
        pump(0);
        assertEquals(List.of(), wire);
        pump(1);
        assertEquals("STREAM_WINDOW_UPDATE" + id, wire.getFirst());
    }

    @Test
    void aPeerWithTheInitialWindowInteroperatesWithALargerOne() {
        int win = 1024 * 1024;
        b = new End(false, win, null); // a keeps the protocol's initial window (an older end point, or the relay)
        b.autoConsume = false;
        a.autoConsume = false;
        long id = a.mux.open(new StreamTarget("w", 22));
        pump(100);
        feed(a, id, ByteBuffer.wrap(random(2 * win, 4)));
        feed(b, id, ByteBuffer.wrap(random(2 * win, 5)));
        assertEquals(win, b.got(id).length);
        assertEquals(StreamMux.INITIAL_WINDOW, a.got(id).length, "a grants nothing beyond the initial window");
        assertEquals(0, a.mux.drops(StreamDrop.FLOW_CONTROL) + b.mux.drops(StreamDrop.FLOW_CONTROL));
    }

    @Test
    void refusedFramesAreReportedToTheDropSink() {
        List<StreamDrop> seen = new ArrayList<>();
        b = new End(false, StreamMux.INITIAL_WINDOW, seen::add);
        long x = a.mux.open(new StreamTarget("w", 22));
        pump(100);
        b.mux.receive(FrameType.STREAM_WINDOW_UPDATE, 99, ByteBuffer.allocate(4));
        b.mux.receive(FrameType.STREAM_OPEN, 4, ByteBuffer.wrap(new StreamTarget("w", 1).encode()));
        b.mux.receiveData(x, ByteBuffer.allocate(StreamMux.INITIAL_WINDOW + 1));
        assertEquals(List.of(StreamDrop.UNKNOWN_STREAM, StreamDrop.BAD_STREAM_ID, StreamDrop.FLOW_CONTROL), seen);
        assertEquals(1, b.mux.drops(StreamDrop.FLOW_CONTROL));
    }

    @Test
    void sendReportsBackpressureThenWritable() {
        long id = a.mux.open(new StreamTarget("w", 22));
        assertFalse(a.mux.send(id, ByteBuffer.allocate(StreamMux.INITIAL_WINDOW)));
        pump(10_000);
        assertFalse(a.events(StreamEvent.Writable.class).isEmpty());
    }

    @Test
    void interactiveStreamIsNotStarvedByBulk() {
        long bulk = a.mux.open(new StreamTarget("w", 22));
        long chat = a.mux.open(new StreamTarget("w", 22));
        pump(100);
        a.mux.send(bulk, ByteBuffer.allocate(200_000));
        a.mux.send(chat, bytes("k"));
        wire.clear();
        pump(100_000);
        int chatAt = wire.indexOf("D" + chat + ":1");
        assertTrue(chatAt >= 0 && chatAt <= 2, "interactive byte left within one bulk quantum: " + wire);
        assertEquals("D" + bulk + ":" + StreamMux.QUANTUM, wire.getFirst());
    }

    @Test
    void manyStreamsAllDeliverTheirBytes() {
        int n = 300;
        long[] ids = new long[n];
        for (int i = 0; i < n; i++) {
            ids[i] = a.mux.open(new StreamTarget("w", 22));
            a.mux.send(ids[i], ByteBuffer.wrap(random(40_000, i)));
            a.mux.halfClose(ids[i]);
        }
        pump(1_000_000);
        for (int i = 0; i < n; i++) {
            assertArrayEquals(random(40_000, i), b.got(ids[i]));
        }
        assertEquals(n, b.events(StreamEvent.Eof.class).size());
    }

    @Test
    void resetOfOneStreamLeavesNeighboursAlone() {
        long x = a.mux.open(new StreamTarget("w", 22));
        long y = a.mux.open(new StreamTarget("w", 22));
        pump(100);
        a.mux.send(x, ByteBuffer.allocate(100_000));
        a.mux.send(y, bytes("alive"));
        b.mux.reset(x, ResetCode.CONNECT_FAILED, "gone");
        pump(10_000);
        assertFalse(a.mux.isOpen(x));
        assertTrue(a.mux.isOpen(y));
        assertEquals("alive", new String(b.got(y), StandardCharsets.UTF_8));
        b.mux.send(y, bytes("still"));
        pump(100);
        assertEquals("still", new String(a.got(y), StandardCharsets.UTF_8));
    }

    @Test
    void dataBeyondTheWindowResetsOnlyThatStream() {
        long x = a.mux.open(new StreamTarget("w", 22));
        long y = a.mux.open(new StreamTarget("w", 22));
        pump(100);
        // a misbehaving peer ignores the window
        b.mux.receiveData(x, ByteBuffer.allocate(StreamMux.INITIAL_WINDOW));
        b.mux.receiveData(x, ByteBuffer.allocate(1));
        assertEquals(1, b.mux.drops(StreamDrop.FLOW_CONTROL));
        pump(100);
        StreamEvent.Closed<?> c = a.events(StreamEvent.Closed.class).getFirst();
        assertEquals(ResetCode.FLOW_CONTROL, c.code());
        assertTrue(a.mux.isOpen(y));
        assertTrue(b.mux.isOpen(y));
    }

    @Test
    void badFramesAreCountedNotThrown() {
        long x = a.mux.open(new StreamTarget("w", 22));
        pump(100);
        b.mux.receive(FrameType.STREAM_WINDOW_UPDATE, 99, ByteBuffer.allocate(4));
        assertEquals(1, b.mux.drops(StreamDrop.UNKNOWN_STREAM));
        b.mux.receiveData(77, ByteBuffer.allocate(3));
        assertEquals(2, b.mux.drops(StreamDrop.UNKNOWN_STREAM));
        // even id from the opener side, reused id, garbage target
        b.mux.receive(FrameType.STREAM_OPEN, 4, ByteBuffer.wrap(new StreamTarget("w", 1).encode()));
        b.mux.receive(FrameType.STREAM_OPEN, x, ByteBuffer.wrap(new StreamTarget("w", 1).encode()));
        assertEquals(2, b.mux.drops(StreamDrop.BAD_STREAM_ID));
        b.mux.receive(FrameType.STREAM_OPEN, 101, ByteBuffer.wrap(new byte[] {0, 0, 0, 0}));
        assertEquals(1, b.mux.drops(StreamDrop.BAD_PAYLOAD));
        b.mux.receive(FrameType.STREAM_WINDOW_UPDATE, x, ByteBuffer.allocate(3));
        assertEquals(2, b.mux.drops(StreamDrop.BAD_PAYLOAD));
        assertFalse(b.mux.isOpen(x));
        // a stray accept
        a.mux.receive(FrameType.STREAM_OPEN, 555, ByteBuffer.allocate(0));
        assertEquals(1, a.mux.drops(StreamDrop.UNEXPECTED_ACCEPT));
    }

    @Test
    void halfOpenStreamAndDataAfterEof() {
        long x = a.mux.open(new StreamTarget("w", 22));
        pump(100);
        a.mux.halfClose(x);
        pump(100);
        // b never half-closes: the stream stays half-open, b can still send
        assertTrue(b.mux.isOpen(x));
        b.mux.receiveData(x, ByteBuffer.allocate(5)); // forged data after a's EOF
        assertEquals(1, b.mux.drops(StreamDrop.DATA_AFTER_EOF));
        assertFalse(b.mux.isOpen(x));
    }

    @Test
    void tooManyStreamsRefusedWithReset() {
        StreamMux<ByteBuffer> small = new StreamMux<>(OPS, false, 2, 1024);
        for (long id = 1; id <= 5; id += 2) {
            small.receive(FrameType.STREAM_OPEN, id, ByteBuffer.wrap(new StreamTarget("w", 22).encode()));
        }
        assertEquals(2, small.size());
        assertEquals(1, small.drops(StreamDrop.TOO_MANY_STREAMS));
        Transmit<ByteBuffer> t = small.pollTransmit();
        Transmit.Frame<ByteBuffer> f = assertInstanceOf(Transmit.Frame.class, t);
        assertEquals(FrameType.STREAM_RESET, f.type());
        assertEquals(5, f.id());
        assertNull(small.pollTransmit());
    }

    @Test
    void closeAllEndsEveryStream() {
        a.mux.open(new StreamTarget("w", 22));
        a.mux.open(new StreamTarget("w", 22));
        pump(100);
        a.mux.closeAll(ResetCode.PEER_GONE, "connection lost");
        a.drainEvents();
        assertEquals(2, a.events(StreamEvent.Closed.class).size());
        assertEquals(0, a.mux.size());
    }
}
