package dev.gridmesh.relay.server;

import io.netty.channel.ChannelInitializer;
import io.netty.util.AttributeKey;
import java.net.InetAddress;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;

/** Pipeline of a new TCP connection: TLS 1.3, HTTP/1.1 (bounded), then {@link HttpUpgradeHandler}. */
final class RelayChannelInitializer extends ChannelInitializer<SocketChannel> {
    private static final Logger log = LoggerFactory.getLogger(RelayChannelInitializer.class);
    static final String TLS = "tls";
    static final String HTTP_CODEC = "http";
    static final String HTTP_AGGREGATOR = "http-aggregator";
    static final String UPGRADE = "upgrade";

    private final SslContext ssl;
    private final RelayContext rc;

    RelayChannelInitializer(SslContext ssl, RelayContext rc) {
        this.ssl = ssl;
        this.rc = rc;
    }

    /** The pre-authentication permit of a connection: released once, on authentication or close. */
    static final AttributeKey<Runnable> PRE_AUTH = AttributeKey.valueOf("gridmesh.preAuth");

    @Override
    protected void initChannel(SocketChannel ch) {
        rc.metrics().increment(RelayCounter.CONNECTIONS_ACCEPTED);
        InetAddress from = ch.remoteAddress().getAddress();
        if (!rc.preAuth().tryAcquire(from)) {
            rc.metrics().increment(RelayCounter.PRE_AUTH_LIMIT);
            log.debug("{}: refused: too many unauthenticated connections", ch.remoteAddress());
            ch.close();
            return;
        }
        AtomicBoolean released = new AtomicBoolean();
        Runnable release = () -> {
            if (released.compareAndSet(false, true)) {
                rc.preAuth().release(from);
            }
        };
        ch.attr(PRE_AUTH).set(release);
        ch.closeFuture().addListener(f -> release.run());
        long timeout = rc.config().handshakeTimeout().toMillis();
        SslHandler tls = ssl.newHandler(ch.alloc());
        tls.setHandshakeTimeoutMillis(timeout);
        ch.pipeline()
                .addLast(TLS, tls)
                .addLast(HTTP_CODEC, new HttpServerCodec(4096, 8192, 8192))
                .addLast(HTTP_AGGREGATOR, new HttpObjectAggregator(8192))
                .addLast(UPGRADE, new HttpUpgradeHandler(rc));
    }
}
