package dev.gridmesh.relay.server;

import dev.gridmesh.protocol.relay.FrameHeader;
import dev.gridmesh.protocol.relay.RelayDecodeException;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import java.util.List;

/**
 * Bytes to {@link RelayFrame}s (see {@link FrameHeader} for the layout). The header is checked before any payload
 * is buffered, so at most one maximum-size payload is ever held. On the first bad header it emits one
 * {@link BadFrame} and discards all later input; the session handler refuses the connection.
 */
public final class RelayFrameDecoder extends ByteToMessageDecoder {
    private final int maxPayload;
    private boolean failed;

    public RelayFrameDecoder(int maxPayload) {
        this.maxPayload = maxPayload;
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
        // header and payload in one slice (reader index at the payload): a relayed packet leaves with its own header
        out.add(RelayFrame.decoded(h.type(), h.streamId(), in.readRetainedSlice(FrameHeader.SIZE + h.length())));
    }
}
