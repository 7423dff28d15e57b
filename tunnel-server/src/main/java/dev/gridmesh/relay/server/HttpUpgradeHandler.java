package dev.gridmesh.relay.server;

import dev.gridmesh.protocol.relay.Frames;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.flush.FlushConsolidationHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.handler.ssl.SslHandshakeTimeoutException;
import io.netty.util.concurrent.ScheduledFuture;
import io.netty.handler.timeout.IdleStateHandler;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP/1.1 phase of a connection, inside TLS. {@code GET /healthz} answers 200 {@code ok}.
 * {@code GET /gridmesh/v1} with {@code Connection: Upgrade} and {@code Upgrade: gridmesh-relay} answers
 * {@code 101 Switching Protocols} and turns the pipeline into the frame protocol (the HTTP codec removed, the
 * frame decoder/encoder, idle detection and a {@link RelaySessionHandler} added). Anything else: 400/404 and close.
 * Also counts TLS handshake failures and timeouts (garbage, half-open TLS).
 */
final class HttpUpgradeHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
    private static final Logger log = LoggerFactory.getLogger(HttpUpgradeHandler.class);

    private final RelayContext rc;
    private ScheduledFuture<?> deadline;

    HttpUpgradeHandler(RelayContext rc) {
        this.rc = rc;
    }

    /**
     * The upgrade must be done by twice the handshake timeout after connect, however slowly the bytes trickle in
     * (the TLS handshake alone has the handshake timeout, counted as TLS_HANDSHAKE_TIMEOUT).
     */
    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        long ms = 2 * rc.config().handshakeTimeout().toMillis();
        deadline = ctx.executor().schedule(() -> {
            if (ctx.channel().isActive()) {
                rc.metrics().increment(RelayCounter.HTTP_TIMEOUT);
                log.info("{}: refused HTTP: no upgrade within {} ms", ctx.channel().remoteAddress(), ms);
                ctx.close();
            }
        }, ms, TimeUnit.MILLISECONDS);
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        if (deadline != null) {
            deadline.cancel(false);
        }
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
        if (req.decoderResult().isFailure()) {
            refuse(ctx, HttpResponseStatus.BAD_REQUEST, "not HTTP: " + req.decoderResult().cause());
            return;
        }
        String path = req.uri();
        int q = path.indexOf('?');
        if (q >= 0) {
            path = path.substring(0, q);
        }
        if (req.method().equals(HttpMethod.GET) && path.equals("/healthz")) {
            rc.metrics().increment(RelayCounter.HEALTH_CHECKS);
            FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK,
                    Unpooled.copiedBuffer("ok\n", StandardCharsets.US_ASCII));
            r.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8");
            HttpUtil.setContentLength(r, r.content().readableBytes());
            boolean keepAlive = HttpUtil.isKeepAlive(req);
            HttpUtil.setKeepAlive(r, keepAlive);
            var f = ctx.writeAndFlush(r);
            if (!keepAlive) {
                f.addListener(ChannelFutureListener.CLOSE);
            }
            return;
        }
        dev.gridmesh.relay.tunnel.TunnelService tunnels = ctx.channel().attr(dev.gridmesh.relay.tunnel.TunnelService.KEY).get();
        if (tunnels != null && tunnels.handles(path)) {
            tunnels.http(ctx, req, path); // engineer tunnels (docs/tunnels.md)
            return;
        }
        if (!path.equals(Frames.UPGRADE_PATH)) {
            refuse(ctx, HttpResponseStatus.NOT_FOUND, "no such path " + path);
            return;
        }
        if (!req.method().equals(HttpMethod.GET)
                || !req.headers().containsValue(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE, true)
                || !Frames.UPGRADE_TOKEN.equalsIgnoreCase(req.headers().get(HttpHeaderNames.UPGRADE, "").strip())) {
            refuse(ctx, HttpResponseStatus.BAD_REQUEST,
                    "expected GET " + Frames.UPGRADE_PATH + " with Connection: Upgrade, Upgrade: " + Frames.UPGRADE_TOKEN);
            return;
        }
        rc.metrics().increment(RelayCounter.UPGRADES);
        HttpResponse r = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.SWITCHING_PROTOCOLS);
        r.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE);
        r.headers().set(HttpHeaderNames.UPGRADE, Frames.UPGRADE_TOKEN);
        ctx.writeAndFlush(r).addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
        ChannelPipeline p = ctx.pipeline();
        RelayConfig cfg = rc.config();
        // many small control messages from other threads (peer-map deltas): one TLS record per batch, not per message
        if (p.get(RelayChannelInitializer.TLS) != null) {
            p.addAfter(RelayChannelInitializer.TLS, "flush", new FlushConsolidationHandler(256, true));
        } else {
            p.addFirst("flush", new FlushConsolidationHandler(256, true));
        }
        p.addAfter(RelayChannelInitializer.HTTP_CODEC, "frame-decoder", new RelayFrameDecoder(cfg.maxPayload(), true));
        p.addAfter("frame-decoder", "frame-encoder", RelayFrameEncoder.INSTANCE);
        p.addAfter("frame-encoder", "idle", new IdleStateHandler(cfg.pingInterval().toMillis(), 0, 0, TimeUnit.MILLISECONDS));
        p.addAfter("idle", "session", new RelaySessionHandler(rc));
        p.remove(this);
        p.remove(RelayChannelInitializer.HTTP_AGGREGATOR);
        p.remove(RelayChannelInitializer.HTTP_CODEC);
    }

    private void refuse(ChannelHandlerContext ctx, HttpResponseStatus status, String reason) {
        rc.metrics().increment(RelayCounter.HTTP_BAD_REQUEST);
        log.info("{}: refused HTTP: {}", ctx.channel().remoteAddress(), reason);
        FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status,
                Unpooled.copiedBuffer(status.code() + " " + reason + "\n", StandardCharsets.UTF_8));
        r.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8");
        r.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        HttpUtil.setContentLength(r, r.content().readableBytes());
        ctx.writeAndFlush(r).addListener(ChannelFutureListener.CLOSE);
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (evt instanceof SslHandshakeCompletionEvent e && !e.isSuccess()) {
            boolean timeout = e.cause() instanceof SslHandshakeTimeoutException;
            rc.metrics().increment(timeout ? RelayCounter.TLS_HANDSHAKE_TIMEOUT : RelayCounter.TLS_HANDSHAKE_FAILED);
            log.info("{}: refused TLS: {}", ctx.channel().remoteAddress(), abbreviate(e.cause().toString()));
            ctx.close();
            return;
        }
        super.userEventTriggered(ctx, evt);
    }

    private static String abbreviate(String s) {
        return s.length() <= 160 ? s : s.substring(0, 160) + "...";
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        // TLS failures are counted by the handshake event; anything else before the upgrade closes quietly.
        log.debug("{}: closed before upgrade: {}", ctx.channel().remoteAddress(), cause.toString());
        ctx.close();
    }
}
