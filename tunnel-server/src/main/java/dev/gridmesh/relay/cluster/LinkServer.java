package dev.gridmesh.relay.cluster;

import dev.gridmesh.crypto.NodePublicKey;
import dev.gridmesh.relay.server.ClusterPort;
import dev.gridmesh.relay.server.RelayHub;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.LengthFieldBasedFrameDecoder;
import io.netty.handler.ssl.SslContext;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The listening side of relay-to-relay links: authenticates the dialing relay, then delivers its packets here, or,
 * for a STREAMS link, hands the channel to the tunnel service (engineer streams for nodes connected here).
 */
final class LinkServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(LinkServer.class);
    static final long AUTH_TIMEOUT_MS = 10_000;

    private final Channel channel;

    private LinkServer(Channel channel) {
        this.channel = channel;
    }

    /** @param secret the cluster secret (read when a link authenticates: it is loaded after the bind) */
    static LinkServer bind(EventLoopGroup group, InetSocketAddress listen, SslContext ssl, String selfId,
                           Supplier<byte[]> secret, RelayHub hub, ClusterCounters counters,
                           Supplier<BiConsumer<Channel, String>> streams) throws IOException {
        ServerBootstrap b = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast("tls", ssl.newHandler(ch.alloc()))
                                .addLast("frames", new LengthFieldBasedFrameDecoder(4 + LinkFrames.MAX_BODY, 0, 4, 0, 4))
                                .addLast("link", new Inbound(selfId, secret, hub, counters, streams));
                    }
                });
        var f = b.bind(listen).awaitUninterruptibly();
        if (!f.isSuccess()) {
            BindException e = new BindException("relay: cannot listen for relay links on tcp " + listen + ": "
                    + f.cause().getMessage());
            e.initCause(f.cause());
            throw e;
        }
        return new LinkServer(f.channel());
    }

    InetSocketAddress localAddress() {
        return (InetSocketAddress) channel.localAddress();
    }

    @Override
    public void close() {
        channel.close().awaitUninterruptibly(2, TimeUnit.SECONDS);
    }

    /** One accepted link. Not shareable. */
    private static final class Inbound extends ChannelInboundHandlerAdapter {
        private final String selfId;
        private final Supplier<byte[]> secret;
        private final RelayHub hub;
        private final ClusterCounters counters;
        private final Supplier<BiConsumer<Channel, String>> streams;
        private String peer; // set once authenticated

        Inbound(String selfId, Supplier<byte[]> secret, RelayHub hub, ClusterCounters counters,
                Supplier<BiConsumer<Channel, String>> streams) {
            this.selfId = selfId;
            this.secret = secret;
            this.hub = hub;
            this.counters = counters;
            this.streams = streams;
        }

        @Override
        public void handlerAdded(ChannelHandlerContext ctx) {
            ctx.executor().schedule(() -> {
                if (peer == null) {
                    log.info("relay link from {}: not authenticated within {} ms", ctx.channel().remoteAddress(), AUTH_TIMEOUT_MS);
                    ctx.close();
                }
            }, AUTH_TIMEOUT_MS, TimeUnit.MILLISECONDS);
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ByteBuf b = (ByteBuf) msg;
            try {
                if (!b.isReadable()) {
                    refuse(ctx, "empty frame");
                    return;
                }
                byte type = b.readByte();
                if (peer == null) {
                    auth(ctx, type, b);
                    return;
                }
                if (type != LinkFrames.PACKET || b.readableBytes() < 2 * LinkFrames.KEY) {
                    counters.linkBadFrames.increment();
                    return; // dropped, counted: a bad frame never ends a link that authenticated
                }
                byte[] k = new byte[LinkFrames.KEY];
                b.readBytes(k);
                NodePublicKey dst = NodePublicKey.fromBytes(k);
                if (ClusterPort.deliver(hub, dst, b.retainedSlice())) {
                    counters.packetsIn.increment();
                } else {
                    counters.packetsInDropped.increment();
                }
            } finally {
                ReferenceCountUtil.release(msg);
            }
        }

        private void auth(ChannelHandlerContext ctx, byte type, ByteBuf b) {
            if ((type != LinkFrames.AUTH && type != LinkFrames.STREAMS) || b.readableBytes() < 1) {
                refuse(ctx, "first frame is not AUTH");
                return;
            }
            int n = b.readUnsignedByte();
            if (b.readableBytes() != n + 32) {
                refuse(ctx, "malformed AUTH");
                return;
            }
            String dialer = b.readCharSequence(n, StandardCharsets.UTF_8).toString();
            byte[] mac = new byte[32];
            b.readBytes(mac);
            byte[] s = secret.get();
            if (s == null || !LinkFrames.macOk(LinkFrames.mac(s, dialer, selfId), mac)) {
                refuse(ctx, "AUTH from relay " + dialer + " does not verify (not a relay of this mesh)");
                return;
            }
            peer = dialer;
            if (type == LinkFrames.STREAMS) {
                BiConsumer<Channel, String> acceptor = streams.get();
                if (acceptor == null) {
                    refuse(ctx, "relay " + dialer + " asked for a stream link before tunnels were ready");
                    return;
                }
                // the stream handlers go after this one; removing the length decoder hands them any bytes it holds
                acceptor.accept(ctx.channel(), dialer);
                ctx.pipeline().remove(this);
                ctx.pipeline().remove("frames");
                counters.streamLinksOpened.increment();
                log.info("relay stream link from {} ({}) authenticated", dialer, ctx.channel().remoteAddress());
                return;
            }
            log.info("relay link from {} ({}) authenticated", dialer, ctx.channel().remoteAddress());
        }

        private void refuse(ChannelHandlerContext ctx, String why) {
            counters.linkAuthFailed.increment();
            log.info("relay link from {}: refused: {}", ctx.channel().remoteAddress(), why);
            ctx.close();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            log.debug("relay link from {}: {}", ctx.channel().remoteAddress(), cause.toString());
            ctx.close();
        }
    }
}
