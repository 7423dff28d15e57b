package dev.gridmesh.nat.stun;

import static java.util.Objects.requireNonNull;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.DatagramPacket;
import io.netty.channel.socket.nio.NioDatagramChannel;
import java.io.IOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Netty UDP edge of {@link StunServer}: binds one or more UDP sockets (epoll when available, else NIO) on one
 * event loop thread and answers STUN Binding requests on each. The handler only adapts: it unwraps the datagram,
 * calls the engine and writes the reply it produced. Bind port 0 to let the OS choose (tests).
 *
 * <p>Bind two ports (e.g. 3478 and 3479) so that agents can classify their NAT's mapping behaviour: each port's
 * answers name the other as OTHER-ADDRESS (RFC 5780) when the engine has no fixed one.
 *
 * <pre>{@code
 * StunServer engine = new StunServer("gridmesh relay", null);
 * try (StunUdpServer udp = StunUdpServer.bind(engine, new InetSocketAddress(3478), new InetSocketAddress(3479))) {
 *     System.out.println("STUN on " + udp.localAddresses());
 *     ...
 * }
 * }</pre>
 */
public final class StunUdpServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(StunUdpServer.class);

    private final StunServer engine;
    private final EventLoopGroup group;
    private final List<Channel> channels;
    private final List<InetSocketAddress> localAddresses;

    private StunUdpServer(StunServer engine, EventLoopGroup group, List<Channel> channels) {
        this.engine = engine;
        this.group = group;
        this.channels = List.copyOf(channels);
        List<InetSocketAddress> addrs = new ArrayList<>();
        for (Channel c : channels) {
            addrs.add((InetSocketAddress) c.localAddress());
        }
        this.localAddresses = List.copyOf(addrs);
    }

    /** Whether the native epoll transport will be used on this machine. */
    public static boolean epollAvailable() {
        return Epoll.isAvailable();
    }

    /**
     * Binds every address and starts answering.
     *
     * @throws IOException if any address cannot be bound (nothing stays bound then)
     */
    public static StunUdpServer bind(StunServer engine, InetSocketAddress... addresses) throws IOException {
        requireNonNull(engine, "engine");
        if (addresses.length == 0) {
            throw new IllegalArgumentException("addresses: none (expected: at least one)");
        }
        boolean epoll = Epoll.isAvailable();
        IoHandlerFactory factory = epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, factory);
        List<Channel> channels = new ArrayList<>();
        try {
            Bootstrap b = new Bootstrap()
                    .group(group)
                    .channel(epoll ? EpollDatagramChannel.class : NioDatagramChannel.class)
                    .option(ChannelOption.SO_RCVBUF, 1 << 20)
                    .handler(new StunUdpHandler(engine));
            for (InetSocketAddress a : addresses) {
                var f = b.bind(a).awaitUninterruptibly();
                if (!f.isSuccess()) {
                    BindException e = new BindException("stun: cannot bind udp " + a + ": " + f.cause().getMessage());
                    e.initCause(f.cause());
                    throw e;
                }
                channels.add(f.channel());
            }
        } catch (IOException | RuntimeException e) {
            channels.forEach(Channel::close);
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            throw e;
        }
        StunUdpServer s = new StunUdpServer(engine, group, channels);
        engine.useEndpoints(s.localAddresses);
        log.info("stun: listening on udp {} ({})", s.localAddresses, epoll ? "epoll" : "nio");
        return s;
    }

    /** The bound addresses, with the real ports when port 0 was asked for. */
    public List<InetSocketAddress> localAddresses() {
        return localAddresses;
    }

    public StunServer engine() {
        return engine;
    }

    /** Closes the sockets and stops the event loop; waits up to a few seconds. Idempotent. */
    @Override
    public void close() {
        for (Channel c : channels) {
            c.close().awaitUninterruptibly(2, TimeUnit.SECONDS);
        }
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
    }

    /** Adapts datagrams to {@link StunServer#handle}. Stateless, so one instance serves every channel. */
    @ChannelHandler.Sharable
    static final class StunUdpHandler extends SimpleChannelInboundHandler<DatagramPacket> {
        private final StunServer engine;

        StunUdpHandler(StunServer engine) {
            this.engine = engine;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, DatagramPacket packet) {
            ByteBuf content = packet.content();
            ByteBuffer request = content.nioBufferCount() == 1
                    ? content.nioBuffer()
                    : ByteBuffer.wrap(io.netty.buffer.ByteBufUtil.getBytes(content));
            ByteBuf reply = ctx.alloc().ioBuffer(StunCodec.MAX_MESSAGE);
            boolean sent = false;
            try {
                ByteBuffer out = reply.nioBuffer(0, reply.capacity());
                InetSocketAddress local = packet.recipient() != null ? packet.recipient()
                        : (InetSocketAddress) ctx.channel().localAddress();
                StunServer.Result r = engine.handle(packet.sender(), local, request, out, System.nanoTime());
                if (r.reply()) {
                    reply.writerIndex(out.position());
                    ctx.writeAndFlush(new DatagramPacket(reply, packet.sender()), ctx.voidPromise());
                    sent = true;
                } else if (log.isDebugEnabled()) {
                    log.debug("stun: dropped datagram from {}: {}", packet.sender(), ((StunServer.Result.Drop) r).reason());
                }
            } finally {
                if (!sent) {
                    reply.release();
                }
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            // ICMP port unreachable etc. surface here on connected-less UDP; never close the server socket for them.
            log.debug("stun: socket error on {}: {}", ctx.channel().localAddress(), cause.toString());
        }
    }

    /** For tests: the channel type in use. */
    Class<? extends DatagramChannel> channelType() {
        return channels.getFirst() instanceof EpollDatagramChannel ? EpollDatagramChannel.class : NioDatagramChannel.class;
    }
}
