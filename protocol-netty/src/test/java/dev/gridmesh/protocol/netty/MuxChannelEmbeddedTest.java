package dev.gridmesh.protocol.netty;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gridmesh.protocol.relay.FrameHeader;
import dev.gridmesh.protocol.relay.FrameType;
import dev.gridmesh.protocol.relay.Frames;
import dev.gridmesh.protocol.stream.StreamEvent;
import dev.gridmesh.protocol.stream.StreamMux;
import dev.gridmesh.protocol.stream.StreamTarget;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The Netty edge of the mux on an EmbeddedChannel: what reaches the wire, byte for byte. */
class MuxChannelEmbeddedTest {
    /** Decodes the channel's outbound bytes into (type, id, payload) frames. */
    static List<Object[]> frames(EmbeddedChannel ch) throws Exception {
        ch.runPendingTasks(); // the mux's deferred flush
        ByteBuf all = Unpooled.buffer();
        ByteBuf b;
        while ((b = ch.readOutbound()) != null) {
            all.writeBytes(b);
            b.release();
        }
        List<Object[]> out = new ArrayList<>();
        while (all.readableBytes() >= FrameHeader.SIZE) {
            FrameHeader h = FrameHeader.decode(all.nioBuffer(), Frames.MAX_PAYLOAD);
            all.skipBytes(FrameHeader.SIZE);
            byte[] p = new byte[h.length()];
            all.readBytes(p);
            out.add(new Object[] {h.type(), h.streamId(), p});
        }
        all.release();
        return out;
    }

    @Test
    void partialSendsAfterSmallWindowUpdatesKeepTheByteOrder() throws Exception {
        EmbeddedChannel ch = new EmbeddedChannel();
        List<StreamEvent<ByteBuf>> events = new ArrayList<>();
        MuxChannel m = new MuxChannel(ch, true, 16, new MuxChannel.Listener() {
            @Override
            public void event(MuxChannel c, StreamEvent<ByteBuf> e) {
                events.add(e);
            }

            @Override
            public void sent(MuxChannel c, long id, int n) {
            }
        });
        long id = m.mux().open(new StreamTarget("w", 22));
        m.pump();
        m.frame(FrameType.STREAM_OPEN, id, Unpooled.EMPTY_BUFFER);
        byte[] data = new byte[StreamMux.INITIAL_WINDOW + 50_000];
        new Random(7).nextBytes(data);
        // chunks of 6,144 bytes, as a socket read might give them
        for (int off = 0; off < data.length; off += 6144) {
            m.mux().send(id, Unpooled.copiedBuffer(data, off, Math.min(6144, data.length - off)));
        }
        m.pump();
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        for (int round = 0; round < 100 && got.size() < data.length; round++) {
            for (Object[] f : frames(ch)) {
                if (f[0] == FrameType.STREAM_DATA) {
                    got.writeBytes((byte[]) f[2]);
                }
            }
            // small credit: the mux must split queued buffers (readRetainedSlice) mid-chunk
            m.frame(FrameType.STREAM_WINDOW_UPDATE, id, Unpooled.wrappedBuffer(ByteBuffer.allocate(4).putInt(0, 1000)));
        }
        assertThat(got.toByteArray()).isEqualTo(data);
        assertThat(events).anyMatch(e -> e instanceof StreamEvent.Accepted);
        ch.finishAndReleaseAll();
    }

    @Test
    void framesOfOneTurnLeaveInOneFlush() throws Exception {
        int[] flushes = {0};
        EmbeddedChannel ch = new EmbeddedChannel(new io.netty.channel.ChannelOutboundHandlerAdapter() {
            @Override
            public void flush(io.netty.channel.ChannelHandlerContext ctx) {
                flushes[0]++;
                ctx.flush();
            }
        });
        MuxChannel m = new MuxChannel(ch, true, 16, new MuxChannel.Listener() {
            @Override
            public void event(MuxChannel c, StreamEvent<ByteBuf> e) {
            }

            @Override
            public void sent(MuxChannel c, long id, int n) {
            }
        });
        long id = m.mux().open(new StreamTarget("w", 22));
        m.pump();
        m.frame(FrameType.STREAM_OPEN, id, Unpooled.EMPTY_BUFFER);
        assertThat(frames(ch)).hasSize(1); // the STREAM_OPEN
        flushes[0] = 0;
        // four reads' worth handed over (e.g. a 64 KiB socket read); the flush is a task of the loop, not done
        // inline, so that pumps later in the same turn add to it (EmbeddedChannel runs pending tasks on every
        // write, so only one pump's frames can be shown sharing it here)
        for (int i = 0; i < 4; i++) {
            m.mux().send(id, Unpooled.wrappedBuffer(new byte[16 * 1024]));
        }
        m.pump();
        assertThat(flushes[0]).as("nothing flushed inline").isZero();
        List<Object[]> out = frames(ch);
        assertThat(flushes[0]).isEqualTo(1);
        assertThat(out).hasSize(4).allMatch(f -> ((byte[]) f[2]).length == StreamMux.QUANTUM);
        ch.finishAndReleaseAll();
    }
}
