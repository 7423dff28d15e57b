package dev.gridmesh.agent.control;

import dev.gridmesh.agent.relay.RelayDrop;
import dev.gridmesh.agent.relay.RelayPath;
import dev.gridmesh.crypto.NodePrivateKey;
import dev.gridmesh.protocol.relay.ControlMessage;
import dev.gridmesh.protocol.relay.ErrorCode;
import dev.gridmesh.protocol.relay.Frames;
import dev.gridmesh.protocol.relay.RegistrationProof;
import dev.gridmesh.protocol.relay.RelayDecodeException;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.EnumSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent's one connection to its relay, kept up for the life of the agent (Netty, epoll when available):
 * <pre>
 *   TCP connect -> TLS 1.3 (pinned or CA) -> GET /gridmesh/v1 Upgrade -> 101 -> frames:
 *   relay: ServerHello(E, c)    agent: Register(N, proof, hostname, token | "")
 *   relay: RegisterOk(name, ip) -> PeerMap (full) -> PeerAdded/Changed/Removed ...  ; PACKET frames both ways
 *   either: Ping after 5 s of silence; nothing received for 15 s = dead, close
 *   closed (not refused for good) -> reconnect after backoff (0.5 s doubling to 30 s, jitter); full map again
 * </pre>
 * Refusals that retrying cannot fix (token invalid/expired/used up, node unknown or removed, key replaced elsewhere,
 * proof failed, and a certificate that does not match the pin before any successful registration) stop the client
 * and are reported once through {@link ControlListener#onFatal}. The join token is sent until the first
 * RegisterOk only; afterwards the node key alone authenticates.
 *
 * <p>All connection state lives on the single event loop; the public getters are safe from any thread.
 */
public final class ControlClient implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ControlClient.class);
    private static final Set<ErrorCode> FATAL = EnumSet.of(ErrorCode.TOKEN_INVALID, ErrorCode.TOKEN_EXPIRED,
            ErrorCode.TOKEN_USED_UP, ErrorCode.UNKNOWN_NODE, ErrorCode.NODE_REMOVED, ErrorCode.REPLACED,
            ErrorCode.AUTH_FAILED, ErrorCode.ALREADY_REGISTERED);

    private final ControlConfig config;
    private final NodePrivateKey key;
    private final RelayPath path;
    private final ControlListener listener;
    private final SslContext ssl;
    private final EventLoopGroup group;
    private final Bootstrap bootstrap;
    private final Backoff backoff;
    /** The relay used now: one of {@link ControlConfig#servers()}; changed on the event loop when an attempt fails. */
    private volatile ControlConfig.Server server;
    private int serverIndex; // event loop
    private final boolean epoll;
    private final AtomicLong connects = new AtomicLong();
    private final AtomicLong registrations = new AtomicLong();

    // event-loop state (volatile where read by getters)
    private String joinToken;
    private boolean everRegistered;
    private volatile ConnectionState state = ConnectionState.CONNECTING;
    private volatile String lastError = "";
    private volatile Instant since = Instant.now();
    private volatile boolean stopped;
    private volatile Channel current;
    private ScheduledFuture<?> retry;

    /**
     * @param joinToken the token for a first registration, or {@code ""} when the node key is already registered
     */
    public ControlClient(ControlConfig config, NodePrivateKey key, String joinToken, RelayPath path,
            ControlListener listener) throws IOException {
        this.config = Objects.requireNonNull(config, "config");
        this.key = Objects.requireNonNull(key, "key");
        this.joinToken = Objects.requireNonNull(joinToken, "joinToken");
        this.path = Objects.requireNonNull(path, "path");
        this.listener = Objects.requireNonNull(listener, "listener");
        this.ssl = config.trust().clientContext();
        this.server = config.servers().getFirst();
        this.backoff = new Backoff(config.backoffInitial(), config.backoffMax(), new SecureRandom());
        this.epoll = config.allowEpoll() && Epoll.isAvailable();
        this.group = new MultiThreadIoEventLoopGroup(1,
                (java.util.concurrent.ThreadFactory) r -> Thread.ofPlatform().name("relay-control").daemon().unstarted(r),
                epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory());
        this.bootstrap = new Bootstrap().group(group)
                .channel(epoll ? EpollSocketChannel.class : NioSocketChannel.class)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) config.connectTimeout().toMillis())
                .option(ChannelOption.WRITE_BUFFER_WATER_MARK,
                        new WriteBufferWaterMark(config.writeLowWater(), config.writeHighWater()))
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ControlConfig.Server srv = server;
                        SslHandler tls = ssl.newHandler(ch.alloc(), srv.host(), srv.port());
                        tls.setHandshakeTimeoutMillis(config.connectTimeout().toMillis());
                        if (config.trust().verifyHostname()) {
                            SSLEngine e = tls.engine();
                            SSLParameters p = e.getSSLParameters();
                            p.setEndpointIdentificationAlgorithm("HTTPS");
                            e.setSSLParameters(p);
                        }
                        ch.pipeline().addLast("tls", tls)
                                .addLast("upgrade", new UpgradeDecoder(ControlConfig.MAX_PAYLOAD))
                                .addLast("idle", new IdleStateHandler(config.pingInterval().toMillis(), 0, 0,
                                        TimeUnit.MILLISECONDS))
                                .addLast("session", new Session());
                    }
                });
    }

    /** Starts connecting (returns at once; progress is reported to the listener). */
    public void start() {
        group.execute(this::connect);
    }

    public ConnectionState state() {
        return state;
    }

    /** Why the last connection ended or failed; "" if none did. */
    public String lastError() {
        return lastError;
    }

    /** When the state last changed. */
    public Instant since() {
        return since;
    }

    /** TCP connections attempted. */
    public long connects() {
        return connects.get();
    }

    /** Successful registrations (first one plus every reconnect). */
    public long registrations() {
        return registrations.get();
    }

    public boolean epoll() {
        return epoll;
    }

    /** The relay being used or tried now ({@code host:port}). */
    public String relay() {
        return server.toString();
    }

    private void setState(ConnectionState s, String detail) {
        if (state == ConnectionState.STOPPED) {
            return;
        }
        state = s;
        since = Instant.now();
        listener.onState(s, detail);
    }

    private void connect() {
        retry = null;
        if (stopped) {
            return;
        }
        connects.incrementAndGet();
        setState(ConnectionState.CONNECTING, relay());
        ChannelFuture f = bootstrap.connect(server.host(), server.port());
        current = f.channel();
        f.addListener(done -> {
            if (!done.isSuccess()) {
                failed("cannot connect to " + relay() + ": " + rootMessage(done.cause()));
            }
        });
    }

    /** A connection attempt or connection ended; schedule the next one unless stopped. On the event loop. */
    private void failed(String why) {
        lastError = why;
        if (stopped || retry != null) {
            return;
        }
        long delay = backoff.nextDelayNanos();
        String was = relay();
        List<ControlConfig.Server> all = config.servers();
        if (all.size() > 1) { // several relays of one mesh: the next attempt goes to the next one
            serverIndex = (serverIndex + 1) % all.size();
            server = all.get(serverIndex);
        }
        log.info("relay {}: {}; reconnecting{} in {} ms", was, why, all.size() > 1 ? " to " + relay() : "",
                TimeUnit.NANOSECONDS.toMillis(delay));
        setState(ConnectionState.DISCONNECTED, why);
        retry = group.schedule(this::connect, delay, TimeUnit.NANOSECONDS);
    }

    private void fatal(String why) {
        if (stopped) {
            return;
        }
        stopped = true;
        lastError = why;
        log.debug("relay {}: stopped: {}", relay(), why); // reported once, by the listener (the CLI's error line)
        setState(ConnectionState.STOPPED, why);
        state = ConnectionState.STOPPED;
        Channel c = current;
        if (c != null) {
            c.close();
        }
        listener.onFatal(why);
    }

    /** Closes the connection and stops reconnecting; waits for the event loop to end. Idempotent. */
    @Override
    public void close() {
        stopped = true;
        state = ConnectionState.STOPPED;
        Channel c = current;
        if (c != null) {
            c.close().awaitUninterruptibly(2, TimeUnit.SECONDS);
        }
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
    }

    /**
     * Sends one control message (e.g. SetEndpoints) on the registered connection; any thread. False, and nothing
     * sent, while not registered (a frame before RegisterOk would be refused by the relay).
     */
    public boolean sendControl(ControlMessage m) {
        Channel c = current;
        if (c == null || !c.isActive() || state != ConnectionState.CONNECTED) {
            return false;
        }
        c.writeAndFlush(Unpooled.wrappedBuffer(Frames.control(m)), c.voidPromise());
        return true;
    }

    /** Closes the current connection as if it had died (tests, and `kill` of the relay seen from here). */
    public void dropConnection() {
        Channel c = current;
        if (c != null) {
            c.close();
        }
    }

    private volatile StreamFrames streams;

    /** Where tunnel-stream frames go (null: ignored); set before {@link #start} or at any time after. */
    public void streams(StreamFrames s) {
        streams = s;
    }

    /** Bytes waiting in the relay connection's outbound buffer, read now (metrics); 0 without a connection. */
    public long pendingWriteBytes() {
        Channel c = current;
        io.netty.channel.ChannelOutboundBuffer ob = c == null ? null : c.unsafe().outboundBuffer();
        return ob == null ? 0 : ob.totalPendingWriteBytes();
    }

    /** The tunnel-stream sink set with {@link #streams(StreamFrames)}, or null. */
    public StreamFrames streams() {
        return streams;
    }

    private static String rootMessage(Throwable t) {
        Throwable c = t;
        while (c.getCause() != null && c.getCause() != c) {
            c = c.getCause();
        }
        String m = c.getMessage();
        return m == null ? c.getClass().getSimpleName() : m;
    }

    private static boolean isPinMismatch(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof RelayTrust.PinMismatchException) {
                return true;
            }
            if (c.getCause() == c) {
                break;
            }
        }
        return false;
    }

    /** The per-connection state machine: AWAIT_HELLO -> REGISTERING -> REGISTERED. */
    private final class Session extends ChannelInboundHandlerAdapter {
        private final PeerMapTracker peers = new PeerMapTracker();
        private boolean registering;
        private boolean registered;
        private int idleTicks;
        private long pingNonce;
        private String closeReason;
        private ScheduledFuture<?> deadline;

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            long ms = 2 * config.connectTimeout().toMillis();
            deadline = ctx.executor().schedule(() -> {
                if (!registered) {
                    close(ctx, "no registration within " + ms + " ms of connecting");
                }
            }, ms, TimeUnit.MILLISECONDS);
            ctx.fireChannelActive();
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof SslHandshakeCompletionEvent e) {
                if (e.isSuccess()) {
                    ctx.writeAndFlush(UpgradeDecoder.request(server.toString()));
                } else if (isPinMismatch(e.cause()) && !everRegistered) {
                    fatal(rootMessage(e.cause()));
                } else {
                    close(ctx, "TLS handshake failed: " + rootMessage(e.cause()));
                }
                return;
            }
            if (evt instanceof IdleStateEvent) {
                idleTicks++;
                long silentMs = idleTicks * config.pingInterval().toMillis();
                if (silentMs >= config.deadAfter().toMillis()) {
                    close(ctx, "nothing received from the relay for " + silentMs + " ms (dead connection)");
                } else if (registered) {
                    send(ctx, new ControlMessage.Ping(++pingNonce));
                }
                return;
            }
            ctx.fireUserEventTriggered(evt);
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            idleTicks = 0;
            if (!(msg instanceof InboundFrame f)) {
                ReferenceCountUtil.release(msg);
                return;
            }
            try {
                switch (f.type) {
                    case CONTROL -> {
                        ControlMessage m;
                        try {
                            m = ControlMessage.parse(f.content().nioBuffer());
                        } catch (RelayDecodeException e) {
                            close(ctx, "relay sent a bad control message: " + e.getMessage());
                            return;
                        }
                        control(ctx, m);
                    }
                    case PACKET -> {
                        if (!registered) {
                            close(ctx, "relay sent a packet before registration");
                        } else if (f.content().readableBytes() < Frames.PACKET_KEY_SIZE) {
                            path.drop(RelayDrop.TOO_SHORT);
                        } else {
                            listener.onPacket(f.content());
                        }
                    }
                    default -> {
                        StreamFrames s = streams;
                        if (s != null && registered) {
                            s.frame(ctx.channel(), f.type, f.streamId, f.content().retain()); // tunnel streams
                        } else {
                            log.debug("relay {}: ignored {} frame on stream {}", relay(), f.type, f.streamId);
                        }
                    }
                }
            } finally {
                f.release();
            }
        }

        private void control(ChannelHandlerContext ctx, ControlMessage m) {
            switch (m) {
                case ControlMessage.ServerHello hello -> {
                    if (registering || registered) {
                        close(ctx, "relay sent a second ServerHello");
                        return;
                    }
                    registering = true;
                    String hostname = config.hostname();
                    send(ctx, RegistrationProof.register(key, hello, hostname, joinToken));
                }
                case ControlMessage.RegisterOk ok -> {
                    if (!registering || registered) {
                        close(ctx, "unexpected RegisterOk");
                        return;
                    }
                    registered = true;
                    everRegistered = true;
                    joinToken = "";
                    if (deadline != null) {
                        deadline.cancel(false);
                    }
                    registrations.incrementAndGet();
                    backoff.reset();
                    log.info("relay {}: registered as {} ({}/{})", relay(), ok.nodeName(),
                            ok.overlayIp().getHostAddress(), ok.prefixBits());
                    if (!listener.onRegistered(ok)) {
                        fatal("stopped after registration");
                        return;
                    }
                    path.attach(ctx.channel());
                    setState(ConnectionState.CONNECTED, relay());
                }
                case ControlMessage.PeerMap pm -> peers(ctx, pm);
                case ControlMessage.PeerAdded pa -> peers(ctx, pa);
                case ControlMessage.PeerChanged pc -> peers(ctx, pc);
                case ControlMessage.PeerRemoved pr -> peers(ctx, pr);
                case ControlMessage.Ping p -> send(ctx, new ControlMessage.Pong(p.nonce()));
                case ControlMessage.Pong ignored -> { }
                case ControlMessage.Error e -> {
                    String why = "relay refused: " + e.code() + ": " + e.message();
                    if (FATAL.contains(e.code())) {
                        fatal(why);
                    } else {
                        close(ctx, why);
                    }
                }
                default -> log.debug("relay {}: ignored {}", relay(), m.getClass().getSimpleName());
            }
        }

        private void peers(ChannelHandlerContext ctx, ControlMessage m) {
            if (!registered) {
                close(ctx, m.getClass().getSimpleName() + " before RegisterOk");
                return;
            }
            PeerMapTracker.Change c = peers.apply(m);
            if (c != null) {
                listener.onPeers(c);
            }
        }

        private void send(ChannelHandlerContext ctx, ControlMessage m) {
            ByteBuf b = Unpooled.wrappedBuffer(Frames.control(m));
            ctx.writeAndFlush(b, ctx.voidPromise());
        }

        private void close(ChannelHandlerContext ctx, String why) {
            if (closeReason == null) {
                closeReason = why;
            }
            ctx.close();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            if (isPinMismatch(cause) && !everRegistered) {
                fatal(rootMessage(cause));
                return;
            }
            String m = cause instanceof FrameDecoder.BadFrameException b ? "bad frame from the relay: " + b.reason.getMessage()
                    : cause instanceof UpgradeDecoder.UpgradeRefusedException ? cause.getMessage()
                    : rootMessage(cause);
            close(ctx, m);
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            if (deadline != null) {
                deadline.cancel(false);
            }
            path.detach(ctx.channel());
            String why = closeReason != null ? closeReason
                    : registered ? "connection to the relay closed" : "relay closed the connection during setup";
            failed(why);
            ctx.fireChannelInactive();
        }
    }
}
