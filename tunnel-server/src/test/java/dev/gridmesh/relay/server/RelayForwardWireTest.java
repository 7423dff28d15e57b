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
        return new EmbeddedChannel(new RelayFrameDecoder(Frames.MAX_PAYLOAD), RelayFrameEncoder.INSTANCE,
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

    @Test
    void packedAndSplitPacketsAreForwardedByteForByteWithTheSourceKey() throws Exception {
        String token = new RelayAdmin(rc).createToken(true, null, Set.of()).token();
        NodePrivateKey ka = NodePrivateKey.generate();
        NodePrivateKey kb = NodePrivateKey.generate();
        EmbeddedChannel a = session();
        EmbeddedChannel b = session();
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
