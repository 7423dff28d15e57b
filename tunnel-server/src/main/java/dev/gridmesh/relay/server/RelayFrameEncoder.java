package dev.gridmesh.relay.server;

import dev.gridmesh.protocol.relay.FrameHeader;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.MessageToMessageEncoder;
import java.util.List;

/** {@link RelayFrame} to bytes: a 12-byte header buffer followed by the payload itself (not copied). */
@ChannelHandler.Sharable
public final class RelayFrameEncoder extends MessageToMessageEncoder<RelayFrame> {
    public static final RelayFrameEncoder INSTANCE = new RelayFrameEncoder();

    private RelayFrameEncoder() {
        super(RelayFrame.class);
    }

    @Override
    protected void encode(ChannelHandlerContext ctx, RelayFrame f, List<Object> out) {
        ByteBuf header = ctx.alloc().buffer(FrameHeader.SIZE);
        f.header().encode(header.nioBuffer(0, FrameHeader.SIZE));
        header.writerIndex(FrameHeader.SIZE);
        out.add(header);
        out.add(f.content().retain());
    }
}
