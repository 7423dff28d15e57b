package dev.gridmesh.relay.cluster;

import dev.gridmesh.protocol.netty.TlsProvider;
import dev.gridmesh.relay.tls.RelayCertificate;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.net.Socket;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLException;
import javax.net.ssl.X509ExtendedTrustManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The dialing side of one relay-to-relay link: connects on first use, pins the other relay's certificate (its pin
 * is published in etcd with its address), authenticates, then carries PACKET frames. While it is not up, packets
 * are dropped (counted) and a connection attempt is made at most once a second. Thread-safe.
 */
final class LinkClient implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(LinkClient.class);
    static final long RETRY_NANOS = TimeUnit.SECONDS.toNanos(1);

    private final String selfId;
    private final ClusterView.Relay peer;
    private final byte[] mac;
    private final EventLoopGroup group;
    private final ClusterCounters counters;
    private volatile Channel ready; // authenticated link, or null
    private Channel connecting; // guarded by this
    private long lastAttempt; // guarded by this
    private boolean closed; // guarded by this

    LinkClient(String selfId, ClusterView.Relay peer, byte[] secret, EventLoopGroup group, ClusterCounters counters) {
        this.selfId = selfId;
        this.peer = peer;
        this.mac = LinkFrames.mac(secret, selfId, peer.id());
        this.group = group;
        this.counters = counters;
    }

    ClusterView.Relay peer() {
        return peer;
    }

    /** Sends a PACKET frame (taken over), or drops it while the link is not up. */
    void send(ByteBuf frame) {
        Channel c = ready;
        if (c == null || !c.isActive()) {
            ReferenceCountUtil.release(frame);
            counters.packetsOutDropped.increment();
            connectIfDue();
            return;
        }
        if (!c.isWritable()) {
            ReferenceCountUtil.release(frame);
            counters.packetsOutDropped.increment();
            return;
        }
        counters.packetsOut.increment();
        c.writeAndFlush(frame, c.voidPromise());
    }

    /** Starts connecting unless a connection is up, being made, or was tried less than a second ago. */
    void connectIfDue() {
        synchronized (this) {
            long now = System.nanoTime();
            Channel r = ready;
            if (closed || (r != null && r.isActive()) || (connecting != null && connecting.isOpen())
                    || (lastAttempt != 0 && now - lastAttempt < RETRY_NANOS)) {
                return;
            }
            lastAttempt = now;
            Bootstrap b;
            try {
                b = pinnedBootstrap(group, peer, (ch, tls) -> ch.pipeline().addLast("link", new Outbound(tls)));
            } catch (SSLException e) {
                log.warn("relay link to {}: tls: {}", peer.id(), e.getMessage());
                return;
            }
            ChannelFuture f = b.connect(peer.host(), peer.port());
            connecting = f.channel();
            f.addListener(done -> {
                if (!done.isSuccess()) {
                    log.info("relay link to {} ({}:{}): {}", peer.id(), peer.host(), peer.port(), done.cause().toString());
                }
            });
        }
    }

    /**
     * Dials a stream link to {@code peer}: TLS pinned as above, a STREAMS frame authenticates it, and from then on it
     * carries relay frames (STREAM_* only). {@code init} adds the stream handlers after TLS when the channel is
     * made; the future completes when the STREAMS frame went out.
     */
    static java.util.concurrent.CompletableFuture<Channel> dialStreams(String selfId, ClusterView.Relay peer,
            byte[] secret, EventLoopGroup group, java.util.function.Consumer<Channel> init, ClusterCounters counters) {
        java.util.concurrent.CompletableFuture<Channel> done = new java.util.concurrent.CompletableFuture<>();
        byte[] mac = LinkFrames.mac(secret, selfId, peer.id());
        Bootstrap b;
        try {
            b = pinnedBootstrap(group, peer, (ch, tls) -> {
                init.accept(ch);
                tls.handshakeFuture().addListener(hs -> {
                    if (!hs.isSuccess()) {
                        failStreams(ch, hs.cause(), done, counters);
                        return;
                    }
                    ch.writeAndFlush(LinkFrames.auth(ch.alloc(), LinkFrames.STREAMS, selfId, mac)).addListener(w -> {
                        if (w.isSuccess()) {
                            counters.streamLinksOpened.increment();
                            log.info("relay stream link to {} ({}:{}) up", peer.id(), peer.host(), peer.port());
                            done.complete(ch);
                        } else {
                            failStreams(ch, w.cause(), done, counters);
                        }
                    });
                });
            });
        } catch (SSLException e) {
            counters.streamLinksFailed.increment();
            done.completeExceptionally(e);
            return done;
        }
        ChannelFuture f = b.connect(peer.host(), peer.port());
        f.addListener(c -> {
            if (!c.isSuccess() && done.completeExceptionally(c.cause())) {
                counters.streamLinksFailed.increment();
                log.info("relay stream link to {} ({}:{}): {}", peer.id(), peer.host(), peer.port(), c.cause().toString());
            }
        });
        f.channel().closeFuture().addListener(c -> {
            if (done.completeExceptionally(new IOException("relay stream link to " + peer.id() + " closed"))) {
                counters.streamLinksFailed.increment();
            }
        });
        return done;
    }

    private static void failStreams(Channel ch, Throwable cause, java.util.concurrent.CompletableFuture<Channel> done,
            ClusterCounters counters) {
        ch.close();
        if (done.completeExceptionally(cause)) {
            counters.streamLinksFailed.increment();
        }
    }

    /**
     * A client bootstrap to {@code peer}'s link listener: TLS 1.3 pinned to the certificate it published in etcd, the
     * link's socket options; {@code afterTls} adds what follows the TLS handler.
     */
    private static Bootstrap pinnedBootstrap(EventLoopGroup group, ClusterView.Relay peer,
            java.util.function.BiConsumer<SocketChannel, SslHandler> afterTls) throws SSLException {
        SslContext ssl = TlsProvider.tls13(SslContextBuilder.forClient()).trustManager(new PinTrust(peer.pin())).build();
        return new Bootstrap().group(group).channel(NioSocketChannel.class)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 5000)
                .option(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(512 * 1024, 2 * 1024 * 1024))
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        SslHandler tls = ssl.newHandler(ch.alloc(), peer.host(), peer.port());
                        ch.pipeline().addLast("tls", tls);
                        afterTls.accept(ch, tls);
                    }
                });
    }

    boolean isUp() {
        Channel c = ready;
        return c != null && c.isActive();
    }

    @Override
    public void close() {
        Channel r;
        Channel c;
        synchronized (this) {
            closed = true;
            r = ready;
            c = connecting;
            ready = null;
        }
        if (r != null) {
            r.close();
        }
        if (c != null) {
            c.close();
        }
    }

    private final class Outbound extends ChannelInboundHandlerAdapter {
        private final SslHandler tls;

        Outbound(SslHandler tls) {
            this.tls = tls;
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            tls.handshakeFuture().addListener(hs -> {
                if (!hs.isSuccess()) {
                    log.info("relay link to {}: tls: {}", peer.id(), hs.cause().toString());
                    ctx.close();
                    return;
                }
                ctx.writeAndFlush(LinkFrames.auth(ctx.alloc(), selfId, mac)).addListener(w -> {
                    if (w.isSuccess()) {
                        boolean keep;
                        synchronized (LinkClient.this) {
                            keep = !closed;
                            if (keep) {
                                ready = ctx.channel();
                            }
                        }
                        if (keep) {
                            counters.linksOpened.increment();
                            log.info("relay link to {} ({}:{}) up", peer.id(), peer.host(), peer.port());
                        } else {
                            ctx.close();
                        }
                    }
                });
            });
            ctx.fireChannelActive();
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ReferenceCountUtil.release(msg); // the listener sends nothing back on this link
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            synchronized (LinkClient.this) {
                if (ready == ctx.channel()) {
                    ready = null;
                    log.info("relay link to {} down", peer.id());
                }
            }
            ctx.fireChannelInactive();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            log.debug("relay link to {}: {}", peer.id(), cause.toString());
            ctx.close();
        }
    }

    /** Trusts exactly the certificate whose pin the other relay published; no CA, no host name. */
    static final class PinTrust extends X509ExtendedTrustManager {
        private final String pin;

        PinTrust(String pin) {
            this.pin = pin;
        }

        private void check(X509Certificate[] chain) throws CertificateException {
            if (chain == null || chain.length == 0 || !RelayCertificate.pin(chain[0]).equals(pin)) {
                throw new CertificateException("relay link: certificate does not match the pin published in etcd (" + pin + ")");
            }
        }

        @Override public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException { check(chain); }
        @Override public void checkServerTrusted(X509Certificate[] chain, String authType, Socket s) throws CertificateException { check(chain); }
        @Override public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine e) throws CertificateException { check(chain); }
        @Override public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException { throw new CertificateException("client side only"); }
        @Override public void checkClientTrusted(X509Certificate[] chain, String authType, Socket s) throws CertificateException { throw new CertificateException("client side only"); }
        @Override public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine e) throws CertificateException { throw new CertificateException("client side only"); }
        @Override public X509Certificate[] getAcceptedIssuers() { return new X509Certificate[0]; }
    }
}
