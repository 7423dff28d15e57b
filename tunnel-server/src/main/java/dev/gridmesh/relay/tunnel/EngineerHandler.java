package dev.gridmesh.relay.tunnel;

import dev.gridmesh.protocol.netty.MuxChannel;
import dev.gridmesh.relay.server.RelayFrame;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An engineer's connection after the upgrade: stream frames go to its {@link MuxChannel}; anything else (control
 * or packet frames, an undecodable byte stream) closes the connection, and with it every stream on it. With an
 * {@code onIdleClose}, an {@link IdleStateEvent} (from the idle handler before it) closes the connection when no
 * stream is open on it; with a stream open, however quiet, it stays.
 */
final class EngineerHandler extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(EngineerHandler.class);
    private final MuxChannel mux;
    private final Runnable onIdleClose;

    /** @param onIdleClose run when the connection is closed for idling (null: no idle timeout, e.g. relay links) */
    EngineerHandler(MuxChannel mux, Runnable onIdleClose) {
        this.mux = mux;
        this.onIdleClose = onIdleClose;
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof IdleStateEvent) {
            if (onIdleClose != null && mux.mux().size() == 0 && ctx.channel().isOpen()) {
                onIdleClose.run();
                ctx.close();
            }
            return;
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        try {
            if (msg instanceof RelayFrame f && f.type().isStream()) {
                mux.frame(f.type(), f.streamId(), f.content().retain());
            } else {
                log.info("{}: tunnel connection closed: unexpected {}", ctx.channel().remoteAddress(), msg);
                ctx.close();
            }
        } finally {
            ReferenceCountUtil.release(msg);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        log.debug("{}: tunnel connection: {}", ctx.channel().remoteAddress(), cause.toString());
        ctx.close();
    }
}
