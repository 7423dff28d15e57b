package dev.gridmesh.relay.server;

import io.netty.channel.ChannelInitializer;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;

/** Pipeline of a new TCP connection: TLS 1.3, HTTP/1.1 (bounded), then {@link HttpUpgradeHandler}. */
final class RelayChannelInitializer extends ChannelInitializer<SocketChannel> {
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

    @Override
    protected void initChannel(SocketChannel ch) {
        rc.metrics().increment(RelayCounter.CONNECTIONS_ACCEPTED);
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
