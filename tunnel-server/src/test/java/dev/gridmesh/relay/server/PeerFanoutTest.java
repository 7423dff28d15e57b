package dev.gridmesh.relay.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gridmesh.crypto.NodePrivateKey;
import dev.gridmesh.crypto.NodePublicKey;
import dev.gridmesh.protocol.relay.ControlMessage;
import dev.gridmesh.protocol.relay.FrameHeader;
import dev.gridmesh.protocol.relay.FrameType;
import dev.gridmesh.protocol.relay.Frames;
import dev.gridmesh.protocol.relay.PeerInfo;
import dev.gridmesh.protocol.relay.RegistrationProof;
import dev.gridmesh.protocol.relay.RelayDecodeException;
import dev.gridmesh.relay.store.H2Store;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The hub's peer-map fan-out through EmbeddedChannel sessions on virtual clocks: full map first then every later
 * delta in order, deltas batched into one write per pass, an unwritable connection holds nothing and catches up with
 * a fresh full map, offline peers lose their endpoints. Each channel has its own event loop, so a pass for one
 * connection runs when the test runs that channel's tasks ({@link #pump}).
 */
class PeerFanoutTest {
    static final int LOG_CAPACITY = 8;

    @TempDir Path dir;
    H2Store store;
    RelayContext rc;
    RelayAdmin admin;
    String token;

    /** One simulated agent: its channel and key. */
    record Agent(EmbeddedChannel ch, NodePrivateKey key, String name) {
        NodePublicKey pub() {
            return key.publicKey();
        }
    }

    @BeforeEach
    void setUp() throws Exception {
        store = H2Store.open(dir);
        rc = new RelayContext(RelayConfig.defaults(dir), new RelayMetrics(), new RelayHub(List.of(), LOG_CAPACITY), store,
                new DirectExecutorService(), Clock.systemUTC(), new SecureRandom(), new PreAuthLimiter(100, 100));
        admin = new RelayAdmin(rc);
        token = admin.createToken(true, null, Set.of()).token();
    }

    @AfterEach
    void tearDown() throws Exception {
        store.close();
    }

    private Agent join(String name) throws Exception {
        EmbeddedChannel ch = new EmbeddedChannel(new RelayFrameDecoder(Frames.MAX_PAYLOAD), RelayFrameEncoder.INSTANCE,
                new RelaySessionHandler(rc));
        ControlMessage.ServerHello hello = (ControlMessage.ServerHello) out(ch).getFirst();
        NodePrivateKey k = NodePrivateKey.generate();
        ch.writeInbound(Unpooled.wrappedBuffer(Frames.control(RegistrationProof.register(k, hello, name, token))));
        return new Agent(ch, k, name);
    }

    /** Runs the channel's due passes (its event loop's tasks), at most one pass interval later. */
    private static void pump(Agent a) {
        a.ch().advanceTimeBy(LoopFeeds.MAX_INTERVAL_NANOS, TimeUnit.NANOSECONDS);
        a.ch().runScheduledPendingTasks();
        a.ch().runPendingTasks();
    }

    /** Outbound writes (one ByteBuf each) drained. */
    private static List<ByteBuf> writes(EmbeddedChannel ch) {
        List<ByteBuf> w = new ArrayList<>();
        for (Object o; (o = ch.readOutbound()) != null; ) {
            w.add((ByteBuf) o);
        }
        return w;
    }

    private static List<ControlMessage> decode(List<ByteBuf> writes) throws RelayDecodeException {
        ByteBuf all = Unpooled.buffer();
        for (ByteBuf b : writes) {
            all.writeBytes(b);
            b.release();
        }
        List<ControlMessage> out = new ArrayList<>();
        ByteBuffer nio = all.nioBuffer();
        while (nio.remaining() >= FrameHeader.SIZE) {
            FrameHeader h = FrameHeader.decode(nio, Integer.MAX_VALUE);
            ByteBuffer p = nio.slice(nio.position(), h.length());
            nio.position(nio.position() + h.length());
            if (h.type() == FrameType.CONTROL) {
                ControlMessage m = ControlMessage.parse(p);
                if (!(m instanceof ControlMessage.Ping)) {
                    out.add(m);
                }
            }
        }
        assertThat(nio.remaining()).as("whole frames").isZero();
        all.release();
        return out;
    }

    private static List<ControlMessage> out(EmbeddedChannel ch) throws RelayDecodeException {
        return decode(writes(ch));
    }

    private static List<String> describe(List<ControlMessage> ms) {
        List<String> d = new ArrayList<>();
        for (ControlMessage m : ms) {
            d.add(switch (m) {
                case ControlMessage.RegisterOk ok -> "ok " + ok.nodeName();
                case ControlMessage.PeerMap pm -> "map" + (pm.first() ? "F" : "") + (pm.last() ? "L" : "") + " "
                        + pm.peers().stream().map(PeerFanoutTest::peer).toList();
                case ControlMessage.PeerAdded pa -> "added " + peer(pa.peer());
                case ControlMessage.PeerChanged pc -> "changed " + peer(pc.peer());
                case ControlMessage.PeerRemoved pr -> "removed " + pr.nodeKey().shortString();
                default -> m.getClass().getSimpleName();
            });
        }
        return d;
    }

    private static String peer(PeerInfo p) {
        return p.name() + (p.online() ? "+" : "-") + p.endpoints().size();
    }

    @Test
    void fullMapFirstThenEveryDeltaInOrderAndNeverTheNodesOwn() throws Exception {
        Agent a = join("a");
        assertThat(describe(out(a.ch()))).containsExactly("ok a", "mapFL []");
        Agent b = join("b");
        assertThat(describe(out(b.ch()))).containsExactly("ok b", "mapFL [a+0]");
        pump(a);
        assertThat(describe(out(a.ch()))).containsExactly("added b+0");

        Agent c = join("c");
        InetSocketAddress ep = new InetSocketAddress(InetAddress.getByName("198.18.0.7"), 41641);
        b.ch().writeInbound(Unpooled.wrappedBuffer(Frames.control(new ControlMessage.SetEndpoints(List.of(ep)))));
        a.ch().writeInbound(Unpooled.wrappedBuffer(Frames.control(new ControlMessage.SetEndpoints(List.of(ep)))));
        c.ch().close(); // runs c's pending pass first: c was online for both endpoint changes
        assertThat(describe(out(c.ch()))).containsExactly("ok c", "mapFL [a+0, b+0]", "changed b+1", "changed a+1");
        pump(a);
        pump(b);
        assertThat(describe(out(a.ch()))).containsExactly("added c+0", "changed b+1", "changed c-0");
        assertThat(describe(out(b.ch()))).containsExactly("added c+0", "changed a+1", "changed c-0");

        assertThat(admin.removeNode("c")).isPresent();
        pump(a);
        assertThat(describe(out(a.ch()))).singleElement().asString().startsWith("removed ");
        // a node that joins now sees the current state in its map, and nothing of the past after it
        Agent d = join("d");
        pump(d);
        assertThat(describe(out(d.ch()))).containsExactly("ok d", "mapFL [a+1, b+1]");
    }

    @Test
    void deltasThatArriveBetweenPassesGoOutAsOneWrite() throws Exception {
        Agent a = join("a");
        out(a.ch());
        List<String> names = new ArrayList<>();
        for (int i = 0; i < 6; i++) { // below the log's capacity: no full map needed
            names.add("added n" + i + "+0");
            join("n" + i);
        }
        pump(a);
        List<ByteBuf> w = writes(a.ch());
        assertThat(w).as("one write for six deltas").hasSize(1);
        assertThat(describe(decode(w))).containsExactlyElementsOf(names);
        long[] counts = rc.hub().fanoutCounts();
        assertThat(counts[3]).as("deltas sent").isGreaterThanOrEqualTo(6);
        assertThat(counts[2]).as("delta writes").isLessThan(counts[3]);
    }

    @Test
    void anUnwritableConnectionHoldsNothingAndCatchesUpWithAFreshFullMap() throws Exception {
        Agent a = join("a");
        out(a.ch());
        a.ch().unsafe().outboundBuffer().setUserDefinedWritability(1, false);
        for (int i = 0; i < 3 * LOG_CAPACITY; i++) {
            join(String.format("n%02d", i));
            pump(a);
        }
        assertThat(writes(a.ch())).as("nothing queued for a connection that does not read").isEmpty();
        assertThat(a.ch().unsafe().outboundBuffer().totalPendingWriteBytes()).isZero();

        a.ch().unsafe().outboundBuffer().setUserDefinedWritability(1, true);
        a.ch().runPendingTasks(); // channelWritabilityChanged, fired on the event loop
        List<ControlMessage> caughtUp = out(a.ch());
        assertThat(caughtUp).singleElement().isInstanceOfSatisfying(ControlMessage.PeerMap.class, pm -> {
            assertThat(pm.first() && pm.last()).isTrue();
            assertThat(pm.peers()).hasSize(3 * LOG_CAPACITY).allMatch(PeerInfo::online);
        });
        assertThat(rc.hub().fanoutCounts()[1]).as("full maps for falling behind").isEqualTo(1);
        // and from there on deltas again
        join("z");
        pump(a);
        assertThat(describe(out(a.ch()))).containsExactly("added z+0");
    }

    @Test
    void aConnectionBehindByLessThanTheLogGetsTheDeltasNotAMap() throws Exception {
        Agent a = join("a");
        out(a.ch());
        a.ch().unsafe().outboundBuffer().setUserDefinedWritability(1, false);
        join("b");
        join("c");
        pump(a);
        assertThat(writes(a.ch())).isEmpty();
        a.ch().unsafe().outboundBuffer().setUserDefinedWritability(1, true);
        a.ch().runPendingTasks();
        assertThat(describe(out(a.ch()))).containsExactly("added b+0", "added c+0");
        assertThat(rc.hub().fanoutCounts()[1]).isZero();
    }

    @Test
    void anOfflineNodeIsAnnouncedWithoutEndpointsAndTheStoreKeepsThem() throws Exception {
        Agent a = join("a");
        Agent b = join("b");
        InetSocketAddress ep = new InetSocketAddress(InetAddress.getByName("198.18.0.9"), 41641);
        b.ch().writeInbound(Unpooled.wrappedBuffer(Frames.control(new ControlMessage.SetEndpoints(List.of(ep)))));
        pump(a);
        assertThat(describe(out(a.ch()))).containsExactly("ok a", "mapFL []", "added b+0", "changed b+1");
        b.ch().close();
        pump(a);
        List<ControlMessage> off = out(a.ch());
        assertThat(off).singleElement().isInstanceOfSatisfying(ControlMessage.PeerChanged.class, pc -> {
            assertThat(pc.peer().online()).isFalse();
            assertThat(pc.peer().endpoints()).isEmpty();
        });
        assertThat(describe(out(join("c").ch()))).containsExactly("ok c", "mapFL [a+0, b-0]");
        assertThat(admin.nodes()).filteredOn(v -> v.node().name().equals("b"))
                .singleElement().satisfies(v -> assertThat(v.node().endpoints()).containsExactly(ep));
        assertThat(store.nodes()).filteredOn(n -> n.name().equals("b"))
                .singleElement().satisfies(n -> assertThat(n.endpoints()).containsExactly(ep));
    }

    @Test
    void passesAreSpacedByAnIntervalThatGrowsWithConnectionsAndStaysUnderHalfASecond() {
        LoopFeeds lf = new LoopFeeds(new EmbeddedChannel().eventLoop(), rc.hub());
        assertThat(lf.intervalNanos()).isEqualTo(LoopFeeds.MIN_INTERVAL_NANOS);
        for (int i = 0; i < 100_000; i++) {
            lf.add(new PeerFeed(null));
        }
        assertThat(lf.intervalNanos()).isEqualTo(LoopFeeds.MAX_INTERVAL_NANOS).isLessThanOrEqualTo(TimeUnit.MILLISECONDS.toNanos(500));
    }

    @Test
    void logEntriesAreOverwrittenInOrderAndReadersNotice() {
        PeerLog log = new PeerLog(4);
        NodePublicKey k = NodePrivateKey.generate().publicKey();
        for (int i = 0; i < 6; i++) {
            assertThat(log.append(k, new ControlMessage.PeerRemoved(k))).isEqualTo(i);
        }
        assertThat(log.next()).isEqualTo(6);
        assertThat(log.first()).isEqualTo(2);
        assertThat(log.get(1)).isNull();
        assertThat(log.get(2).seq()).isEqualTo(2);
        assertThat(log.get(5).frame()).isEqualTo(Frames.control(new ControlMessage.PeerRemoved(k)));
    }
}
