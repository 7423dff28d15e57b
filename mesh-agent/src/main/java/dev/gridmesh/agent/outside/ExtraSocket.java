package dev.gridmesh.agent.outside;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFactory;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.socket.DatagramPacket;
import io.netty.channel.socket.SocketProtocolFamily;
import io.netty.channel.socket.nio.NioDatagramChannel;
import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.Objects;

/**
 * One more UDP socket on an ephemeral port, on the outside event loop (the same thread as the WireGuard socket, so
 * what it reads goes through the same demux and data plane without locking). Used for birthday punching: behind an
 * endpoint-dependent NAT each socket gets its own public port toward a peer, and the one that meets the peer's
 * probes then carries that peer's WireGuard datagrams. Plain reads (no GRO, no recvmmsg): these sockets carry one
 * peer's traffic at most.
 */
public final class ExtraSocket implements AutoCloseable {
    private final Channel channel;

    private ExtraSocket(Channel channel) {
        this.channel = channel;
    }

    /**
     * Binds an ephemeral port on {@code loop}. Must not be called on {@code loop} itself (the bind is waited for).
     *
     * @param bindAddress null = IPv4 wildcard (peers' candidates are IPv4)
     */
    public static ExtraSocket bind(EventLoop loop, boolean epoll, InetAddress bindAddress, int maxDatagramSize,
            ChannelHandler handler) throws IOException {
        Objects.requireNonNull(handler, "handler");
        if (loop.inEventLoop()) {
            throw new IllegalStateException("ExtraSocket.bind on its own event loop would wait for itself");
        }
        SocketProtocolFamily fam = bindAddress instanceof Inet6Address ? SocketProtocolFamily.INET6
                : SocketProtocolFamily.INET;
        InetSocketAddress local = bindAddress != null ? new InetSocketAddress(bindAddress, 0)
                : new InetSocketAddress(InetAddress.getByAddress(new byte[4]), 0);
        ChannelFactory<Channel> factory = epoll ? () -> new EpollDatagramChannel(fam)
                : () -> new NioDatagramChannel(fam);
        Bootstrap b = new Bootstrap().group(loop).channelFactory(factory)
                .option(ChannelOption.ALLOCATOR, PooledByteBufAllocator.DEFAULT)
                .option(ChannelOption.RCVBUF_ALLOCATOR, new FixedRecvByteBufAllocator(maxDatagramSize))
                .option(ChannelOption.MAX_MESSAGES_PER_READ, 16)
                .handler(handler);
        try {
            return new ExtraSocket(b.bind(local).sync().channel());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while binding UDP " + local, e);
        } catch (Exception e) {
            if (e instanceof IOException io) {
                throw io;
            }
            throw new IOException(e.getMessage(), e);
        }
    }

    public int localPort() {
        return ((InetSocketAddress) channel.localAddress()).getPort();
    }

    public boolean isOpen() {
        return channel.isOpen();
    }

    /** Sends a copy of {@code datagram}; any thread. */
    public void send(InetSocketAddress to, byte[] datagram) {
        if (channel.isOpen()) {
            channel.writeAndFlush(new DatagramPacket(Unpooled.wrappedBuffer(datagram.clone()), to),
                    channel.voidPromise());
        }
    }

    /** Sends a copy of {@code datagram} (position..limit, position unchanged); any thread, never throws. */
    public void send(InetSocketAddress to, ByteBuffer datagram) {
        if (!channel.isOpen()) {
            return;
        }
        ByteBuf buf = channel.alloc().directBuffer(datagram.remaining());
        OutboundBatch.copy(buf, datagram);
        channel.writeAndFlush(new DatagramPacket(buf, to), channel.voidPromise());
    }

    /** Closes the socket (not waited for); idempotent. */
    @Override
    public void close() {
        channel.close();
    }
}
