package dev.gridmesh.agent.control;

import dev.gridmesh.protocol.relay.FrameHeader;
import dev.gridmesh.protocol.relay.RelayDecodeException;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.DecoderException;
import java.util.List;

/**
 * Splits the relay's byte stream into {@link InboundFrame}s (12-byte {@link FrameHeader}, then the payload). The
 * length is checked against {@code maxPayload} before any payload is buffered; a bad header raises a
 * {@link BadFrameException} (the connection is then closed: the stream cannot be resynchronised).
 */
final class FrameDecoder extends ByteToMessageDecoder {
    private final int maxPayload;

    FrameDecoder(int maxPayload) {
        this.maxPayload = maxPayload;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        while (in.readableBytes() >= FrameHeader.SIZE) {
            FrameHeader h;
            try {
                h = FrameHeader.decode(in.nioBuffer(in.readerIndex(), FrameHeader.SIZE), maxPayload);
            } catch (RelayDecodeException e) {
                in.skipBytes(in.readableBytes());
                throw new BadFrameException(e);
            }
            if (in.readableBytes() < FrameHeader.SIZE + h.length()) {
                return;
            }
            in.skipBytes(FrameHeader.SIZE);
            out.add(new InboundFrame(h.type(), h.streamId(), in.readRetainedSlice(h.length())));
        }
    }

    /** The relay sent a frame header this agent cannot accept. */
    static final class BadFrameException extends DecoderException {
        final RelayDecodeException reason;

        BadFrameException(RelayDecodeException reason) {
            super(reason.getMessage(), reason);
            this.reason = reason;
        }
    }
}
