package dev.gridmesh.agent.outside;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFactory;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketProtocolFamily;
import io.netty.channel.socket.nio.NioDatagramChannel;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * The interface's one UDP socket and the single event-loop thread that owns it. With epoll and UDP GRO, each read
 * returns a whole train of coalesced datagrams (up to 64 KiB) that Netty splits; with epoll and no GRO, reads use
 * {@code recvmmsg} ({@link #RECV_BATCH} datagrams of up to {@code maxDatagramSize} bytes per call, into one pooled
 * direct buffer). Writes queued before one flush leave in one {@code sendmmsg}; UDP GSO
 * ({@link io.netty.channel.epoll.SegmentedDatagramPacket}) is available to {@link OutboundBatch}. Without epoll it
 * falls back to NIO. Binds dual-stack {@code [::]:port} unless a bind address is given (IPv4-only hosts fall back to
 * {@code 0.0.0.0}).
 */
public final class OutsideSocket implements AutoCloseable {
    /** Datagrams per recvmmsg call. */
    public static final int RECV_BATCH = 32;
    /** Receive slot with UDP GRO: the largest coalesced read. */
    static final int GRO_SLOT = 65535;

    private final EventLoopGroup group;
    private final Channel channel;
    private final boolean epoll;
    private final java.util.concurrent.atomic.AtomicReference<Thread> loopThread;

    private OutsideSocket(EventLoopGroup group, Channel channel, boolean epoll,
            java.util.concurrent.atomic.AtomicReference<Thread> loopThread) {
        this.group = group;
        this.channel = channel;
        this.epoll = epoll;
        this.loopThread = loopThread;
    }

    /**
     * Binds and starts reading.
     *
     * @param threadName      name of the event-loop thread
     * @param bindAddress     null = wildcard
     * @param port            0 = any free port
     * @param maxDatagramSize receive slot size: larger datagrams are truncated (and then fail authentication)
     * @param allowEpoll      false forces NIO (tests)
     * @param udpGro          ask the kernel for UDP GRO (epoll only): runs of datagrams from one sender arrive
     *                        as one read of up to 64 KiB, which Netty splits back into datagrams
     * @param handler         the pipeline's only handler
     */
    public static OutsideSocket bind(String threadName, InetAddress bindAddress, int port, int maxDatagramSize,
            boolean allowEpoll, boolean udpGro, io.netty.channel.ChannelHandler handler) throws IOException {
        Objects.requireNonNull(handler, "handler");
        boolean useEpoll = allowEpoll && Epoll.isAvailable();
        java.util.concurrent.atomic.AtomicReference<Thread> loopThread = new java.util.concurrent.atomic.AtomicReference<>();
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, (java.util.concurrent.ThreadFactory) r -> {
            Thread t = Thread.ofPlatform().name(threadName).daemon().unstarted(r);
            loopThread.set(t);
            return t;
        },
                useEpoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory());
        try {
            Channel ch;
            if (bindAddress != null) {
                SocketProtocolFamily fam = bindAddress instanceof java.net.Inet6Address
                        ? SocketProtocolFamily.INET6 : SocketProtocolFamily.INET;
                ch = bindOnce(group, useEpoll, fam, new InetSocketAddress(bindAddress, port), maxDatagramSize,
                        udpGro, handler);
            } else {
                try {
                    ch = bindOnce(group, useEpoll, SocketProtocolFamily.INET6, new InetSocketAddress(port),
                            maxDatagramSize, udpGro, handler);
                } catch (IOException e) {
                    if (isAddressInUse(e)) {
                        throw e;
                    }
                    // no IPv6 in this namespace: IPv4 only
                    ch = bindOnce(group, useEpoll, SocketProtocolFamily.INET,
                            new InetSocketAddress(InetAddress.getByAddress(new byte[4]), port), maxDatagramSize,
                            udpGro, handler);
                }
            }
            return new OutsideSocket(group, ch, useEpoll, loopThread);
        } catch (IOException | RuntimeException e) {
            group.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS);
            throw e;
        }
    }

    private static Channel bindOnce(EventLoopGroup group, boolean epoll, SocketProtocolFamily family,
            InetSocketAddress local, int maxDatagramSize, boolean udpGro, io.netty.channel.ChannelHandler handler)
            throws IOException {
        ChannelFactory<Channel> factory = epoll ? () -> new EpollDatagramChannel(family)
                : () -> new NioDatagramChannel(family);
        Bootstrap b = new Bootstrap().group(group).channelFactory(factory)
                .option(ChannelOption.ALLOCATOR, PooledByteBufAllocator.DEFAULT)
                .option(ChannelOption.SO_RCVBUF, 4 << 20)
                .option(ChannelOption.SO_SNDBUF, 4 << 20)
                .option(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(1 << 20, 4 << 20))
                .option(ChannelOption.MAX_MESSAGES_PER_READ, 4)
                .handler(handler);
        if (epoll && udpGro) {
            // A GRO read can be a whole 64 KiB train of segments, so the buffer must hold that (or the kernel
            // truncates). Netty reads the segment size only on its recvmsg path (payload size 0 = no recvmmsg), then
            // splits the train back into datagrams: one syscall per train instead of one per datagram.
            b.option(EpollChannelOption.UDP_GRO, true)
                    .option(EpollChannelOption.MAX_DATAGRAM_PAYLOAD_SIZE, 0)
                    .option(ChannelOption.RCVBUF_ALLOCATOR, new FixedRecvByteBufAllocator(GRO_SLOT))
                    .option(ChannelOption.MAX_MESSAGES_PER_READ, 16);
        } else if (epoll) {
            b.option(EpollChannelOption.MAX_DATAGRAM_PAYLOAD_SIZE, maxDatagramSize)
                    .option(ChannelOption.RCVBUF_ALLOCATOR, new FixedRecvByteBufAllocator(maxDatagramSize * RECV_BATCH));
        } else {
            b.option(ChannelOption.RCVBUF_ALLOCATOR, new FixedRecvByteBufAllocator(maxDatagramSize))
                    .option(ChannelOption.MAX_MESSAGES_PER_READ, RECV_BATCH);
        }
        try {
            return b.bind(local).sync().channel();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while binding UDP " + local, e);
        } catch (Exception e) {
            // Netty rethrows the checked bind failure undeclared
            if (e instanceof IOException io) {
                throw io;
            }
            throw new IOException(e.getMessage(), e);
        }
    }

    private static boolean isAddressInUse(IOException e) {
        return String.valueOf(e.getMessage()).contains("in use");
    }

    public Channel channel() {
        return channel;
    }

    public EventLoop eventLoop() {
        return channel.eventLoop();
    }

    public int localPort() {
        return ((InetSocketAddress) channel.localAddress()).getPort();
    }

    public boolean isEpoll() {
        return epoll;
    }

    /** Whether UDP GSO (segmented sends) can be used on this socket. */
    public boolean gsoSupported() {
        return epoll && EpollDatagramChannel.isSegmentedDatagramPacketSupported();
    }

    /**
     * Closes the socket and stops the event loop: waits (bounded) for queued tasks and for the thread to end.
     * Idempotent.
     */
    @Override
    public void close() {
        channel.close().awaitUninterruptibly(1000);
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(2000);
        Thread t = loopThread.get();
        if (t != null && t != Thread.currentThread()) {
            try {
                t.join(2000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
