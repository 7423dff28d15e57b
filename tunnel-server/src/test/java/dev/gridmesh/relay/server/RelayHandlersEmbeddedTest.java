package dev.gridmesh.relay.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gridmesh.crypto.NodePrivateKey;
import dev.gridmesh.protocol.relay.ControlMessage;
import dev.gridmesh.protocol.relay.ErrorCode;
import dev.gridmesh.protocol.relay.FrameHeader;
import dev.gridmesh.protocol.relay.FrameType;
import dev.gridmesh.protocol.relay.Frames;
import dev.gridmesh.protocol.relay.RegistrationProof;
import dev.gridmesh.protocol.relay.RelayDecodeException;
import dev.gridmesh.relay.store.H2Store;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.timeout.IdleStateHandler;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The frame decoder, the HTTP upgrade and the session state machine through EmbeddedChannel, on a virtual clock. */
class RelayHandlersEmbeddedTest {
    @TempDir Path dir;
    H2Store store;
    RelayContext rc;
    RelayAdmin admin;

    @BeforeEach
    void setUp() throws Exception {
        store = H2Store.open(dir);
        RelayConfig cfg = RelayConfig.defaults(dir);
        rc = new RelayContext(cfg, new RelayMetrics(), new RelayHub(List.of()), store, new DirectExecutorService(),
                Clock.systemUTC(), new SecureRandom(), new PreAuthLimiter(100, 100));
        admin = new RelayAdmin(rc);
    }

    @AfterEach
    void tearDown() throws Exception {
        store.close();
    }

    private EmbeddedChannel session() {
        return new EmbeddedChannel(new RelayFrameDecoder(Frames.MAX_PAYLOAD), RelayFrameEncoder.INSTANCE,
                new IdleStateHandler(rc.config().pingInterval().toMillis(), 0, 0, TimeUnit.MILLISECONDS),
                new RelaySessionHandler(rc));
    }

    /** Drains outbound bytes and decodes them into frames. */
    private static List<ControlMessage> controlOut(EmbeddedChannel ch) throws RelayDecodeException {
        ByteBuf all = Unpooled.buffer();
        for (Object o; (o = ch.readOutbound()) != null; ) {
            ByteBuf b = (ByteBuf) o;
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
                out.add(ControlMessage.parse(p));
            }
        }
        all.release();
        return out;
    }

    @Test
    void decoderSplitsFramesAcrossReadsAndRefusesOversizedBeforeBuffering() {
        EmbeddedChannel ch = new EmbeddedChannel(new RelayFrameDecoder(100));
        byte[] f = Frames.control(new ControlMessage.Ping(5));
        ch.writeInbound(Unpooled.wrappedBuffer(f, 0, 5));
        assertThat((Object) ch.readInbound()).isNull();
        ch.writeInbound(Unpooled.wrappedBuffer(f, 5, f.length - 5));
        RelayFrame frame = ch.readInbound();
        assertThat(frame.type()).isEqualTo(FrameType.CONTROL);
        assertThat(frame.content().readableBytes()).isEqualTo(9);
        frame.release();
        byte[] big = new byte[FrameHeader.SIZE];
        FrameHeader.of(FrameType.PACKET, 101).encode(big, 0);
        ch.writeInbound(Unpooled.wrappedBuffer(big));
        BadFrame bad = ch.readInbound();
        assertThat(bad.error().reason()).isEqualTo(RelayDecodeException.Reason.FRAME_TOO_LARGE);
        ch.writeInbound(Unpooled.wrappedBuffer(f)); // everything after a bad header is discarded
        assertThat((Object) ch.readInbound()).isNull();
        assertThat(ch.finish()).isFalse();
    }

    @Test
    void upgradeTurnsThePipelineIntoFramesAndSendsServerHello() throws Exception {
        EmbeddedChannel ch = new EmbeddedChannel();
        ch.pipeline().addLast(RelayChannelInitializer.HTTP_CODEC, new HttpServerCodec())
                .addLast(RelayChannelInitializer.HTTP_AGGREGATOR, new HttpObjectAggregator(8192))
                .addLast(RelayChannelInitializer.UPGRADE, new HttpUpgradeHandler(rc));
        String req = "GET /gridmesh/v1 HTTP/1.1\r\nHost: r\r\nConnection: Upgrade\r\nUpgrade: gridmesh-relay\r\n\r\n";
        ch.writeInbound(Unpooled.copiedBuffer(req, StandardCharsets.US_ASCII));
        ByteBuf resp = ch.readOutbound();
        String head = resp.toString(StandardCharsets.US_ASCII);
        resp.release();
        assertThat(head).startsWith("HTTP/1.1 101 Switching Protocols").containsIgnoringCase("upgrade: gridmesh-relay");
        assertThat(ch.pipeline().get(HttpServerCodec.class)).isNull();
        assertThat(ch.pipeline().get(RelaySessionHandler.class)).isNotNull();
        List<ControlMessage> out = controlOut(ch);
        assertThat(out).hasSize(1).first().isInstanceOf(ControlMessage.ServerHello.class);
        assertThat(rc.metrics().get(RelayCounter.UPGRADES)).isEqualTo(1);
        ch.finishAndReleaseAll();
    }

    @Test
    void badUpgradeAnd404() {
        for (String req : List.of("GET /gridmesh/v1 HTTP/1.1\r\nHost: r\r\n\r\n", "GET /nope HTTP/1.1\r\nHost: r\r\n\r\n")) {
            EmbeddedChannel ch = new EmbeddedChannel(new HttpServerCodec(), new HttpObjectAggregator(8192), new HttpUpgradeHandler(rc));
            ch.writeInbound(Unpooled.copiedBuffer(req, StandardCharsets.US_ASCII));
            ByteBuf resp = ch.readOutbound();
            assertThat(resp.toString(StandardCharsets.US_ASCII)).matches("(?s)HTTP/1.1 (400|404).*");
            resp.release();
            ch.runPendingTasks();
            assertThat(ch.isOpen()).isFalse();
            ch.finishAndReleaseAll();
        }
        assertThat(rc.metrics().get(RelayCounter.HTTP_BAD_REQUEST)).isEqualTo(2);
    }

    @Test
    void registerThenPingsOnIdleAndDeadAfterFifteenSeconds() throws Exception {
        String token = admin.createToken(false, null, Set.of()).token();
        EmbeddedChannel ch = session();
        ControlMessage.ServerHello hello = (ControlMessage.ServerHello) controlOut(ch).getFirst();
        NodePrivateKey k = NodePrivateKey.generate();
        ch.writeInbound(Unpooled.wrappedBuffer(Frames.control(RegistrationProof.register(k, hello, "w1", token))));
        List<ControlMessage> out = controlOut(ch);
        assertThat(out.get(0)).isInstanceOf(ControlMessage.RegisterOk.class);
        assertThat(out.get(1)).isEqualTo(new ControlMessage.PeerMap(true, true, List.of()));
        assertThat(rc.hub().onlineCount()).isEqualTo(1);

        ch.advanceTimeBy(5, TimeUnit.SECONDS);
        ch.runScheduledPendingTasks();
        assertThat(controlOut(ch)).singleElement().isInstanceOf(ControlMessage.Ping.class);
        ch.writeInbound(Unpooled.wrappedBuffer(Frames.control(new ControlMessage.Pong(1)))); // alive again
        ch.advanceTimeBy(10, TimeUnit.SECONDS);
        ch.runScheduledPendingTasks();
        assertThat(ch.isOpen()).isTrue();
        ch.advanceTimeBy(5, TimeUnit.SECONDS);
        ch.runScheduledPendingTasks();
        ch.advanceTimeBy(5, TimeUnit.SECONDS);
        ch.runScheduledPendingTasks();
        List<ControlMessage> last = controlOut(ch);
        assertThat(last.getLast()).isInstanceOfSatisfying(ControlMessage.Error.class,
                e -> assertThat(e.code()).isEqualTo(ErrorCode.IDLE_TIMEOUT));
        assertThat(ch.isOpen()).isFalse();
        assertThat(rc.metrics().get(RelayCounter.IDLE_TIMEOUT)).isEqualTo(1);
        assertThat(rc.hub().onlineCount()).isZero();
        ch.finishAndReleaseAll();
    }

    @Test
    void authDeadline() throws Exception {
        EmbeddedChannel ch = session();
        controlOut(ch);
        ch.advanceTimeBy(rc.config().authTimeout().toMillis(), TimeUnit.MILLISECONDS);
        ch.runScheduledPendingTasks();
        assertThat(controlOut(ch)).singleElement().isInstanceOfSatisfying(ControlMessage.Error.class,
                e -> assertThat(e.code()).isEqualTo(ErrorCode.NOT_AUTHENTICATED));
        assertThat(ch.isOpen()).isFalse();
        assertThat(rc.metrics().get(RelayCounter.AUTH_TIMEOUT)).isEqualTo(1);
        ch.finishAndReleaseAll();
    }

    @Test
    void packetBeforeAuthAndWrongTokenAreRefused() throws Exception {
        EmbeddedChannel ch = session();
        controlOut(ch);
        ch.writeInbound(Unpooled.wrappedBuffer(Frames.packet(NodePrivateKey.generate().publicKey(), new byte[4], 0, 4)));
        assertThat(controlOut(ch)).singleElement().isInstanceOfSatisfying(ControlMessage.Error.class,
                e -> assertThat(e.code()).isEqualTo(ErrorCode.NOT_AUTHENTICATED));
        assertThat(ch.isOpen()).isFalse();
        ch.finishAndReleaseAll();

        EmbeddedChannel c2 = session();
        ControlMessage.ServerHello hello = (ControlMessage.ServerHello) controlOut(c2).getFirst();
        c2.writeInbound(Unpooled.wrappedBuffer(Frames.control(RegistrationProof.register(NodePrivateKey.generate(), hello, "x", "gmt_wrong"))));
        c2.runPendingTasks();
        assertThat(controlOut(c2)).singleElement().isInstanceOfSatisfying(ControlMessage.Error.class,
                e -> assertThat(e.code()).isEqualTo(ErrorCode.TOKEN_INVALID));
        assertThat(store.nodes()).isEmpty();
        c2.finishAndReleaseAll();
    }

    @Test
    void packetsBetweenTwoSessionsAreForwardedWithTheSourceKey() throws Exception {
        String token = admin.createToken(true, null, Set.of()).token();
        NodePrivateKey ka = NodePrivateKey.generate();
        NodePrivateKey kb = NodePrivateKey.generate();
        EmbeddedChannel a = session();
        EmbeddedChannel b = session();
        a.writeInbound(Unpooled.wrappedBuffer(Frames.control(RegistrationProof.register(ka,
                (ControlMessage.ServerHello) controlOut(a).getFirst(), "a", token))));
        b.writeInbound(Unpooled.wrappedBuffer(Frames.control(RegistrationProof.register(kb,
                (ControlMessage.ServerHello) controlOut(b).getFirst(), "b", token))));
        a.runPendingTasks(); // peer-map deltas go out in a pass on the connection's own event loop
        assertThat(controlOut(a)).last().isInstanceOf(ControlMessage.PeerAdded.class);
        controlOut(b);
        a.writeInbound(Unpooled.wrappedBuffer(Frames.packet(kb.publicKey(), new byte[] {4, 0, 0, 0, 42}, 0, 5)));
        a.runPendingTasks();
        b.runPendingTasks();
        ByteBuf out = Unpooled.buffer();
        for (Object o; (o = b.readOutbound()) != null; ) {
            out.writeBytes((ByteBuf) o);
            ((ByteBuf) o).release();
        }
        byte[] expected = Frames.packet(ka.publicKey(), new byte[] {4, 0, 0, 0, 42}, 0, 5);
        byte[] got = new byte[out.readableBytes()];
        out.readBytes(got);
        out.release();
        assertThat(got).isEqualTo(expected);
        a.writeInbound(Unpooled.wrappedBuffer(Frames.packet(NodePrivateKey.generate().publicKey(), new byte[1], 0, 1)));
        assertThat(rc.metrics().get(RelayCounter.PACKET_NO_DESTINATION)).isEqualTo(1);

        var ep = new java.net.InetSocketAddress(java.net.InetAddress.getByName("198.18.0.9"), 5);
        a.writeInbound(Unpooled.wrappedBuffer(Frames.control(new ControlMessage.SetEndpoints(List.of(ep)))));
        a.writeInbound(Unpooled.wrappedBuffer(Frames.control(new ControlMessage.SetEndpoints(List.of()))));
        b.runPendingTasks();
        assertThat(controlOut(b)).singleElement().isInstanceOfSatisfying(ControlMessage.PeerChanged.class,
                c -> assertThat(c.peer().endpoints()).containsExactly(ep));
        assertThat(rc.metrics().get(RelayCounter.ENDPOINTS_RATE_LIMITED)).isEqualTo(1);
        assertThat(store.node(ka.publicKey()).orElseThrow().endpoints()).containsExactly(ep);
        a.finishAndReleaseAll();
        b.finishAndReleaseAll();
    }
}
