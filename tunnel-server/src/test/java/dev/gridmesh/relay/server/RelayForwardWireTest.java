package dev.gridmesh.relay.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gridmesh.crypto.NodePrivateKey;
import dev.gridmesh.protocol.relay.ControlMessage;
import dev.gridmesh.protocol.relay.FrameHeader;
import dev.gridmesh.protocol.relay.FrameType;
import dev.gridmesh.protocol.relay.Frames;
import dev.gridmesh.protocol.relay.RelayDecodeException;
import dev.gridmesh.protocol.relay.RegistrationProof;
import dev.gridmesh.relay.store.H2Store;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.timeout.IdleStateHandler;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A relayed packet leaves with the header bytes it came with (one buffer, no header allocation): byte for byte what
 * the encoder would have written, for frames packed several to a read and split across reads, in pooled buffers.
 */
class RelayForwardWireTest {
    @TempDir Path dir;
    H2Store store;
    RelayContext rc;

    @BeforeEach
    void setUp() throws Exception {
        store = H2Store.open(dir);
        rc = new RelayContext(RelayConfig.defaults(dir), new RelayMetrics(), new RelayHub(List.of()), store,
                new DirectExecutorService(), Clock.systemUTC(), new SecureRandom(), new PreAuthLimiter(100, 100));
    }

    @AfterEach
    void tearDown() throws Exception {
        store.close();
    }

    private EmbeddedChannel session() {
        return session(false);
    }

    /** {@code runs}: the decoder gathers PACKET frames to one destination into {@link PacketRun}s, as a relay does. */
    private EmbeddedChannel session(boolean runs) {
        return new EmbeddedChannel(new RelayFrameDecoder(Frames.MAX_PAYLOAD, runs), RelayFrameEncoder.INSTANCE,
                new IdleStateHandler(rc.config().pingInterval().toMillis(), 0, 0, TimeUnit.MILLISECONDS),
                new RelaySessionHandler(rc));
    }

    private static byte[] drain(EmbeddedChannel ch) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (Object o; (o = ch.readOutbound()) != null; ) {
            ByteBuf b = (ByteBuf) o;
            byte[] bytes = new byte[b.readableBytes()];
            b.readBytes(bytes);
            out.writeBytes(bytes);
            b.release();
        }
        return out.toByteArray();
    }

    private static ControlMessage.ServerHello hello(EmbeddedChannel ch) throws RelayDecodeException {
        ByteBuffer nio = ByteBuffer.wrap(drain(ch));
        FrameHeader h = FrameHeader.decode(nio, Frames.MAX_PAYLOAD);
        return (ControlMessage.ServerHello) ControlMessage.parse(nio.slice(nio.position(), h.length()));
    }

    @ParameterizedTest(name = "packet runs {0}")
    @ValueSource(booleans = {false, true})
    void packedAndSplitPacketsAreForwardedByteForByteWithTheSourceKey(boolean runs) throws Exception {
        String token = new RelayAdmin(rc).createToken(true, null, Set.of()).token();
        NodePrivateKey ka = NodePrivateKey.generate();
        NodePrivateKey kb = NodePrivateKey.generate();
        EmbeddedChannel a = session(runs);
        EmbeddedChannel b = session(runs);
        a.writeInbound(Unpooled.wrappedBuffer(Frames.control(RegistrationProof.register(ka, hello(a), "a", token))));
        b.writeInbound(Unpooled.wrappedBuffer(Frames.control(RegistrationProof.register(kb, hello(b), "b", token))));
        drain(a);
        drain(b);

        Random rnd = new Random(7);
        ByteArrayOutputStream sent = new ByteArrayOutputStream();
        ByteArrayOutputStream expected = new ByteArrayOutputStream();
        for (int i = 0; i < 40; i++) {
            byte[] wg = new byte[1 + rnd.nextInt(1500)];
            rnd.nextBytes(wg);
            sent.writeBytes(Frames.packet(kb.publicKey(), wg, 0, wg.length));
            expected.writeBytes(Frames.packet(ka.publicKey(), wg, 0, wg.length));
        }
        // a control frame in between: decoded from the same cumulation, not forwarded
        sent.writeBytes(Frames.control(new ControlMessage.Pong(1)));
        byte[] all = sent.toByteArray();
        // reads of odd sizes: several frames per read, frames (and headers) split across reads; pooled direct buffers
        for (int off = 0; off < all.length; ) {
            int n = Math.min(all.length - off, 1 + rnd.nextInt(5000));
            ByteBuf read = ByteBufAllocator.DEFAULT.directBuffer(n).writeBytes(all, off, n);
            a.writeInbound(read);
            off += n;
        }
        a.runPendingTasks();
        b.runPendingTasks();
        assertThat(drain(b)).isEqualTo(expected.toByteArray());
        assertThat(rc.metrics().get(RelayCounter.PACKETS_RELAYED)).isEqualTo(40);
        a.finishAndReleaseAll();
        b.finishAndReleaseAll(); // b still holds the PeerChanged (a offline) that a's close caused
    }

    /** The PACKET frames among {@code wire}'s frames, concatenated. */
    private static byte[] packetFrames(byte[] wire) throws RelayDecodeException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteBuffer nio = ByteBuffer.wrap(wire);
        while (nio.hasRemaining()) {
            int start = nio.position();
            FrameHeader h = FrameHeader.decode(nio, Frames.MAX_PAYLOAD);
            if (h.type() == FrameType.PACKET) {
                out.write(wire, start, FrameHeader.SIZE + h.length());
            }
            nio.position(start + FrameHeader.SIZE + h.length());
        }
        return out.toByteArray();
    }

    private EmbeddedChannel registered(NodePrivateKey k, String name, String token) throws Exception {
        EmbeddedChannel ch = session(true);
        ch.writeInbound(Unpooled.wrappedBuffer(Frames.control(RegistrationProof.register(k, hello(ch), name, token))));
        drain(ch);
        return ch;
    }

    @Test
    void runsToInterleavedDestinationsReachEachInOrderAsFewerWrites() throws Exception {
        String token = new RelayAdmin(rc).createToken(true, null, Set.of()).token();
        NodePrivateKey ka = NodePrivateKey.generate();
        NodePrivateKey kb = NodePrivateKey.generate();
        NodePrivateKey kc = NodePrivateKey.generate();
        EmbeddedChannel a = registered(ka, "a", token);
        EmbeddedChannel b = registered(kb, "b", token);
        EmbeddedChannel c = registered(kc, "c", token);
        drain(a);
        drain(b);

        Random rnd = new Random(11);
        ByteArrayOutputStream sent = new ByteArrayOutputStream();
        ByteArrayOutputStream toB = new ByteArrayOutputStream();
        ByteArrayOutputStream toC = new ByteArrayOutputStream();
        int packets = 0;
        for (int group = 0; group < 30; group++) { // runs of 1..9 packets, alternating destinations
            NodePrivateKey dst = group % 2 == 0 ? kb : kc;
            for (int i = rnd.nextInt(9); i >= 0; i--) {
                byte[] wg = new byte[rnd.nextInt(1500)];
                rnd.nextBytes(wg);
                sent.writeBytes(Frames.packet(dst.publicKey(), wg, 0, wg.length));
                (dst == kb ? toB : toC).writeBytes(Frames.packet(ka.publicKey(), wg, 0, wg.length));
                packets++;
            }
        }
        a.writeInbound(ByteBufAllocator.DEFAULT.directBuffer().writeBytes(sent.toByteArray())); // one read
        a.runPendingTasks();
        int bufsToB = b.outboundMessages().size();
        byte[] gotB = packetFrames(drain(b)); // without peer-map updates about c, which may arrive meanwhile
        byte[] gotC = packetFrames(drain(c));
        assertThat(gotB.length).isEqualTo(toB.size());
        assertThat(java.util.Arrays.mismatch(gotB, toB.toByteArray())).as("first difference to b").isEqualTo(-1);
        assertThat(gotC.length).isEqualTo(toC.size());
        assertThat(java.util.Arrays.mismatch(gotC, toC.toByteArray())).as("first difference to c").isEqualTo(-1);
        assertThat(bufsToB).as("one buffer per run of 15 (and a peer-map update about c)").isLessThanOrEqualTo(15 + 1);
        assertThat(rc.metrics().get(RelayCounter.PACKETS_RELAYED)).isEqualTo(packets);
        a.finishAndReleaseAll();
        b.finishAndReleaseAll();
        c.finishAndReleaseAll();
    }

    @Test
    void aRunToASlowDestinationIsDroppedAndCountedPerPacket() throws Exception {
        String token = new RelayAdmin(rc).createToken(true, null, Set.of()).token();
        NodePrivateKey ka = NodePrivateKey.generate();
        NodePrivateKey kb = NodePrivateKey.generate();
        EmbeddedChannel a = registered(ka, "a", token);
        EmbeddedChannel b = registered(kb, "b", token);
        drain(a);
        b.config().setWriteBufferWaterMark(new io.netty.channel.WriteBufferWaterMark(8, 16));
        b.write(Unpooled.wrappedBuffer(new byte[64])); // queued, not flushed: b is above its high-water mark
        assertThat(b.isWritable()).isFalse();
        ByteArrayOutputStream sent = new ByteArrayOutputStream();
        for (int i = 0; i < 5; i++) {
            sent.writeBytes(Frames.packet(kb.publicKey(), new byte[100], 0, 100));
        }
        a.writeInbound(ByteBufAllocator.DEFAULT.directBuffer().writeBytes(sent.toByteArray()));
        assertThat(rc.metrics().get(RelayCounter.PACKET_DESTINATION_SLOW)).isEqualTo(5);
        assertThat(rc.metrics().get(RelayCounter.PACKETS_RELAYED)).isZero();
        a.finishAndReleaseAll();
        b.finishAndReleaseAll();
    }

    @Test
    void theDecoderBoundsARunInFramesAndBytesAndStopsAtAnotherKeyOrType() {
        NodePrivateKey k = NodePrivateKey.generate();
        NodePrivateKey j = NodePrivateKey.generate();
        ByteArrayOutputStream in = new ByteArrayOutputStream();
        for (int i = 0; i < RelayFrameDecoder.MAX_RUN + 3; i++) { // 67 small frames to k: a full run, then 3
            in.writeBytes(Frames.packet(k.publicKey(), new byte[10], 0, 10));
        }
        in.writeBytes(Frames.packet(j.publicKey(), new byte[10], 0, 10)); // another destination: a frame alone
        in.writeBytes(Frames.control(new ControlMessage.Pong(1)));
        for (int i = 0; i < 3; i++) { // 3 x 30,000 bytes: over MAX_RUN_BYTES after 2
            in.writeBytes(Frames.packet(k.publicKey(), new byte[30_000], 0, 30_000));
        }
        EmbeddedChannel ch = new EmbeddedChannel(new RelayFrameDecoder(Frames.MAX_PAYLOAD, true));
        ch.writeInbound(Unpooled.wrappedBuffer(in.toByteArray()));
        List<String> got = new java.util.ArrayList<>();
        for (Object o; (o = ch.readInbound()) != null; ) {
            got.add(o instanceof PacketRun r ? "run " + r.count() : ((RelayFrame) o).type().toString());
            io.netty.util.ReferenceCountUtil.release(o);
        }
        assertThat(got).containsExactly("run " + RelayFrameDecoder.MAX_RUN, "run 3", "PACKET", "CONTROL", "run 2",
                "PACKET");
        ch.finishAndReleaseAll();
    }

    @Test
    void aFrameWhosePayloadWasConsumedGetsAFreshHeader() {
        ByteBuf wire = Unpooled.wrappedBuffer(Frames.packet(NodePrivateKey.generate().publicKey(), new byte[] {1, 2}, 0, 2));
        RelayFrame f = RelayFrame.decoded(FrameType.PACKET, 0, wire);
        ByteBuf same = f.retainedWire();
        assertThat(same.readableBytes()).isEqualTo(FrameHeader.SIZE + Frames.PACKET_KEY_SIZE + 2);
        same.release();
        f.content().skipBytes(1);
        assertThat(f.retainedWire()).isNull(); // the session handler then writes a RelayFrame through the encoder
        assertThat(new RelayFrame(FrameType.PACKET, 0, Unpooled.buffer(1).writeByte(1)).retainedWire()).isNull();
        f.release();
    }
}
