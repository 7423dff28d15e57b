package dev.gridmesh.relay.server;

import dev.gridmesh.protocol.relay.FrameHeader;
import dev.gridmesh.protocol.relay.FrameType;
import dev.gridmesh.protocol.relay.Frames;
import dev.gridmesh.protocol.relay.RelayDecodeException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import java.util.List;

/**
 * Bytes to {@link RelayFrame}s (see {@link FrameHeader} for the layout). The header is checked before any payload
 * is buffered, so at most one maximum-size payload is ever held. On the first bad header it emits one
 * {@link BadFrame} and discards all later input; the session handler refuses the connection.
 *
 * <p>With {@code packetRuns} (an agent's session), PACKET frames that lie back to back in the buffer and go to the
 * same destination key come out as one {@link PacketRun} of up to {@value #MAX_RUN} frames and {@value #MAX_RUN_BYTES}
 * bytes (only what is already here: nothing waits for more), so the relay forwards a read burst as one buffer
 * instead of one write per packet:
 * <pre>
 *   in:  | PACKET dst=K | PACKET dst=K | PACKET dst=K | PACKET dst=J | CONTROL | ...
 *        '--------------- PacketRun(3) --------------' '- RelayFrame -' RelayFrame
 * </pre>
 */
public final class RelayFrameDecoder extends ByteToMessageDecoder {
    /** Most PACKET frames in one {@link PacketRun}. */
    static final int MAX_RUN = 64;
    /**
     * Most bytes in one {@link PacketRun} (beyond its first frame): the relay checks a destination's high-water mark
     * once per run, so this bounds what one check lets through, as one maximum-size frame did.
     */
    static final int MAX_RUN_BYTES = 64 * 1024;
    private final int maxPayload;
    private final boolean packetRuns;
    private boolean failed;

    public RelayFrameDecoder(int maxPayload) {
        this(maxPayload, false);
    }

    /** {@code packetRuns}: emit {@link PacketRun}s (only the agent session handler takes them). */
    public RelayFrameDecoder(int maxPayload, boolean packetRuns) {
        this.maxPayload = maxPayload;
        this.packetRuns = packetRuns;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        if (failed) {
            in.skipBytes(in.readableBytes());
            return;
        }
        if (in.readableBytes() < FrameHeader.SIZE) {
            return;
        }
        FrameHeader h;
        try {
            h = FrameHeader.decode(in.nioBuffer(in.readerIndex(), FrameHeader.SIZE), maxPayload);
        } catch (RelayDecodeException e) {
            failed = true;
            in.skipBytes(in.readableBytes());
            out.add(new BadFrame(e));
            return;
        }
        if (in.readableBytes() < FrameHeader.SIZE + h.length()) {
            return;
        }
        if (packetRuns && h.type() == FrameType.PACKET && h.length() >= Frames.PACKET_KEY_SIZE) {
            int count = packetRun(in, FrameHeader.SIZE + h.length(), out);
            if (count > 1) {
                return;
            }
        }
        // header and payload in one slice (reader index at the payload): a relayed packet leaves with its own header
        out.add(RelayFrame.decoded(h.type(), h.streamId(), in.readRetainedSlice(FrameHeader.SIZE + h.length())));
    }

    /**
     * The PACKET frames that follow the one at the reader index ({@code firstSize} bytes, checked) back to back, whole,
     * with a valid header and the same destination key; if there are any, emits them with the first as one
     * {@link PacketRun}. A header that is not a plain PACKET ends the run (the next decode() checks it properly).
     * Returns the run's frame count (1: nothing emitted).
     */
    private int packetRun(ByteBuf in, int firstSize, List<Object> out) {
        int start = in.readerIndex();
        int limit = in.writerIndex();
        int end = start + firstSize;
        int count = 1;
        while (count < MAX_RUN && limit - end >= FrameHeader.SIZE + Frames.PACKET_KEY_SIZE) {
            if (in.getByte(end) != Frames.VERSION || in.getByte(end + 1) != FrameType.PACKET.code()
                    || in.getShort(end + 2) != 0 || in.getInt(end + 4) != 0) {
                break;
            }
            long len = in.getUnsignedInt(end + 8);
            if (len < Frames.PACKET_KEY_SIZE || len > maxPayload || limit - end < FrameHeader.SIZE + len
                    || end - start + FrameHeader.SIZE + len > MAX_RUN_BYTES
                    || !ByteBufUtil.equals(in, start + FrameHeader.SIZE, in, end + FrameHeader.SIZE, Frames.PACKET_KEY_SIZE)) {
                break;
            }
            end += FrameHeader.SIZE + (int) len;
            count++;
        }
        if (count > 1) {
            out.add(new PacketRun(in.readRetainedSlice(end - start), count));
        }
        return count;
    }
}
