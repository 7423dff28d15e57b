package dev.gridmesh.agent.relay;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gridmesh.crypto.NodePrivateKey;
import dev.gridmesh.crypto.NodePublicKey;
import dev.gridmesh.protocol.relay.FrameHeader;
import dev.gridmesh.protocol.relay.FrameType;
import dev.gridmesh.protocol.relay.Frames;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.embedded.EmbeddedChannel;
import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

/** The relayed path's framing, batching (many writes, one flush) and bounded queueing, on an EmbeddedChannel. */
class RelayPathTest {
    static final NodePublicKey PEER = NodePrivateKey.generate().publicKey();

    static final class FlushCounter extends ChannelOutboundHandlerAdapter {
        int flushes;

        @Override
        public void flush(ChannelHandlerContext ctx) {
            flushes++;
            ctx.flush();
        }
    }

    @Test
    void datagramsBecomePacketFramesWrittenWithOneFlushPerBurst() throws Exception {
        FlushCounter counter = new FlushCounter();
        EmbeddedChannel ch = new EmbeddedChannel(counter);
        RelayPath path = new RelayPath(16);
        path.attach(ch);
        var sender = path.senderFor(PEER);
        for (int i = 0; i < 5; i++) {
            sender.send(PEER, null, ByteBuffer.wrap(new byte[] {4, 0, 0, 0, (byte) i}));
        }
        assertThat((Object) ch.readOutbound()).as("nothing before the drain task runs").isNull();
        ch.runPendingTasks();
        assertThat(counter.flushes).isEqualTo(1);
        for (int i = 0; i < 5; i++) {
            ByteBuf f = ch.readOutbound();
            FrameHeader h = FrameHeader.decode(f.nioBuffer(0, FrameHeader.SIZE), Frames.MAX_PAYLOAD);
            assertThat(h.type()).isEqualTo(FrameType.PACKET);
            assertThat(h.length()).isEqualTo(32 + 5);
            byte[] key = new byte[32];
            f.getBytes(FrameHeader.SIZE, key);
            assertThat(NodePublicKey.fromBytes(key)).isEqualTo(PEER);
            assertThat(f.getByte(f.writerIndex() - 1)).isEqualTo((byte) i);
            f.release();
        }
        assertThat(path.framesSent()).isEqualTo(5);
        assertThat(path.bytesSent()).isEqualTo(25);
        assertThat(path.dropCounts()).isEmpty();
        ch.finishAndReleaseAll();
    }

    @Test
    void dropsAreCountedNotQueuedWithoutBound() {
        RelayPath path = new RelayPath(2);
        byte[] key = PEER.toBytes();
        path.send(key, ByteBuffer.wrap(new byte[10]));
        assertThat(path.drops(RelayDrop.NOT_CONNECTED)).isEqualTo(1);

        EmbeddedChannel ch = new EmbeddedChannel();
        path.attach(ch);
        for (int i = 0; i < 3; i++) {
            path.send(key, ByteBuffer.wrap(new byte[10]));
        }
        assertThat(path.drops(RelayDrop.QUEUE_FULL)).as("bounded hand-off queue").isEqualTo(1);
        ch.runPendingTasks();
        assertThat(path.framesSent()).isEqualTo(2);
        ch.releaseOutbound();

        ch.config().setWriteBufferWaterMark(new WriteBufferWaterMark(8, 16));
        ch.write(Unpooled.wrappedBuffer(new byte[64])); // queued, not flushed: above the high mark
        assertThat(ch.isWritable()).isFalse();
        path.send(key, ByteBuffer.wrap(new byte[10]));
        assertThat(path.drops(RelayDrop.CHANNEL_FULL)).isEqualTo(1);

        path.detach(ch);
        path.send(key, ByteBuffer.wrap(new byte[10]));
        assertThat(path.drops(RelayDrop.NOT_CONNECTED)).isEqualTo(2);
        ch.finishAndReleaseAll();
    }
}
