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

    /** Everything written to {@code ch}, concatenated; counts the buffers (writes) it came in. */
    static ByteBuf outbound(EmbeddedChannel ch, int[] writes) {
        ByteBuf all = Unpooled.buffer();
        ByteBuf b;
        while ((b = ch.readOutbound()) != null) {
            writes[0]++;
            all.writeBytes(b);
            b.release();
        }
        return all;
    }

    /** Reads one PACKET frame to PEER off {@code all} and returns its datagram. */
    static byte[] nextPacket(ByteBuf all) throws Exception {
        FrameHeader h = FrameHeader.decode(all.nioBuffer(all.readerIndex(), FrameHeader.SIZE), Frames.MAX_PAYLOAD);
        assertThat(h.type()).isEqualTo(FrameType.PACKET);
        all.skipBytes(FrameHeader.SIZE);
        byte[] key = new byte[32];
        all.readBytes(key);
        assertThat(NodePublicKey.fromBytes(key)).isEqualTo(PEER);
        byte[] d = new byte[h.length() - 32];
        all.readBytes(d);
        return d;
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
        int[] writes = {0};
        ByteBuf all = outbound(ch, writes);
        assertThat(writes[0]).as("a burst's frames leave back to back in one buffer").isEqualTo(1);
        for (int i = 0; i < 5; i++) {
            assertThat(nextPacket(all)).containsExactly(4, 0, 0, 0, i);
        }
        assertThat(all.isReadable()).isFalse();
        assertThat(path.framesSent()).isEqualTo(5);
        assertThat(path.bytesSent()).isEqualTo(25);
        assertThat(path.dropCounts()).isEmpty();
        ch.finishAndReleaseAll();
    }

    @Test
    void aBurstLargerThanAChunkLeavesInOrderOverSeveralBuffersWithOneFlush() throws Exception {
        FlushCounter counter = new FlushCounter();
        EmbeddedChannel ch = new EmbeddedChannel(counter);
        RelayPath path = new RelayPath(1000);
        path.attach(ch);
        byte[] key = PEER.toBytes();
        int n = 200; // 200 x 1464 bytes: several MAX_CHUNK buffers
        for (int i = 0; i < n; i++) {
            byte[] d = new byte[1420];
            d[0] = (byte) i;
            d[1419] = (byte) (i >> 8);
            path.send(key, ByteBuffer.wrap(d));
        }
        ch.runPendingTasks();
        assertThat(counter.flushes).isEqualTo(1);
        int[] writes = {0};
        ByteBuf all = outbound(ch, writes);
        assertThat(writes[0]).as("chunks grow within a burst").isBetween(n * 1464 / RelayPath.MAX_CHUNK, 10);
        for (int i = 0; i < n; i++) {
            byte[] d = nextPacket(all);
            assertThat(d).hasSize(1420);
            assertThat(d[0]).isEqualTo((byte) i);
            assertThat(d[1419]).isEqualTo((byte) (i >> 8));
        }
        assertThat(all.isReadable()).isFalse();
        assertThat(path.framesSent()).isEqualTo(n);

        // the next burst: a drain per burst, frames of later sends never wait for more
        path.send(key, ByteBuffer.wrap(new byte[] {9}));
        ch.runPendingTasks();
        assertThat(counter.flushes).isEqualTo(2);
        ByteBuf one = outbound(ch, writes);
        assertThat(nextPacket(one)).containsExactly(9);
        assertThat(path.framesSent()).isEqualTo(n + 1);
        ch.finishAndReleaseAll();
    }

    @Test
    void framesQueuedWhenTheChannelIsDetachedAreFreed() {
        EmbeddedChannel ch = new EmbeddedChannel();
        RelayPath path = new RelayPath(16);
        path.attach(ch);
        byte[] key = PEER.toBytes();
        for (int i = 0; i < 3; i++) {
            path.send(key, ByteBuffer.wrap(new byte[100]));
        }
        path.detach(ch); // frees the chunk; the scheduled drain finds nothing
        ch.runPendingTasks();
        assertThat((Object) ch.readOutbound()).isNull();
        assertThat(path.framesSent()).isZero();

        path.attach(ch); // a new channel after a detach: the next send schedules its own drain
        path.send(key, ByteBuffer.wrap(new byte[100]));
        ch.runPendingTasks();
        assertThat(path.framesSent()).isEqualTo(1);
        ch.releaseOutbound();
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
