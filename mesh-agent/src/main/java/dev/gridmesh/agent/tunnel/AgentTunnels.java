package dev.gridmesh.agent.tunnel;

import dev.gridmesh.protocol.netty.MuxChannel;
import dev.gridmesh.agent.control.StreamFrames;
import dev.gridmesh.protocol.relay.FrameType;
import dev.gridmesh.protocol.stream.ResetCode;
import dev.gridmesh.protocol.stream.StreamEvent;
import dev.gridmesh.protocol.stream.StreamTarget;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.AttributeKey;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves the streams the relay opens on this agent's connection:
 * <pre>
 *  STREAM_OPEN(node:port) -> port in the allow-list? no -> RESET(DENIED, "port 8080 is not in ...'s allow-list")
 *                         -> connect 127.0.0.1:port (same event loop) -> fails -> RESET(CONNECT_FAILED, why)
 *                         -> accept; local socket (AUTO_READ off) <-> stream, each read only when the mux has room,
 *                            credit returned only once bytes were written to the local socket
 *  local FIN  -> HALF_CLOSE;   HALF_CLOSE -> shutdownOutput after the written bytes;   RESET/close -> close
 * </pre>
 * A new relay connection (agent reconnect) gets a new mux; the old one's streams end with their connection
 * (PEER_GONE) and their local sockets are closed. Thread-safe: everything per connection runs on its event loop.
 *
 * <p>Throughput: each stream grants the relay {@link #RECV_WINDOW} of credit (more than the protocol's initial
 * window, so the relay -> agent leg does not stall on a loaded host while credit makes its way back), and the bytes
 * of all DATA frames that arrive in one turn of the loop go to the local socket in one flush ({@code writev}).
 */
public final class AgentTunnels implements StreamFrames {
    private static final Logger log = LoggerFactory.getLogger(AgentTunnels.class);
    private static final AttributeKey<Conn> CONN = AttributeKey.valueOf("gridmesh.agentTunnels");
    /** Default local allow-list: SSH only. */
    public static final Set<Integer> DEFAULT_PORTS = Set.of(22);
    /** Credit per stream this agent grants the relay: bytes of one stream it may hold before the local socket takes them. */
    public static final int RECV_WINDOW = 1024 * 1024;

    private final Set<Integer> allowedPorts;
    private final InetAddress loopback;
    private final AtomicLong accepted = new AtomicLong();
    private final AtomicLong refused = new AtomicLong();

    public AgentTunnels(Set<Integer> allowedPorts) {
        this.allowedPorts = Set.copyOf(Objects.requireNonNull(allowedPorts, "allowedPorts"));
        this.loopback = InetAddress.getLoopbackAddress();
    }

    public long streamsAccepted() {
        return accepted.get();
    }

    public long streamsRefused() {
        return refused.get();
    }

    /** One relay connection's streams. */
    private final class Conn implements MuxChannel.Listener {
        final MuxChannel mux;
        final Map<Long, Channel> locals = new HashMap<>();

        Conn(Channel ch) {
            mux = new MuxChannel(ch, false, 4096, RECV_WINDOW, null, this);
        }

        @Override
        public void event(MuxChannel m, StreamEvent<ByteBuf> ev) {
            long id = ev.id();
            switch (ev) {
                case StreamEvent.Opened<ByteBuf> o -> open(id, o.target());
                case StreamEvent.Data<ByteBuf> d -> {
                    Channel l = locals.get(id);
                    if (l == null) {
                        d.bytes().release();
                        return;
                    }
                    int n = d.bytes().readableBytes();
                    l.write(d.bytes()).addListener(f -> {
                        if (f.isSuccess()) {
                            m.mux().consumed(id, n);
                            m.pump();
                        }
                    });
                    Local h = l.pipeline().get(Local.class);
                    if (h != null) {
                        h.flushSoon(l);
                    } else {
                        l.flush();
                    }
                }
                case StreamEvent.Eof<ByteBuf> ignored -> {
                    Channel l = locals.get(id);
                    if (l != null) {
                        Local h = l.pipeline().get(Local.class);
                        if (h != null) {
                            h.outputDone = true;
                        }
                        // after everything written so far
                        l.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(f -> ((SocketChannel) l).shutdownOutput());
                    }
                }
                case StreamEvent.Writable<ByteBuf> ignored -> {
                    Channel l = locals.get(id);
                    if (l != null) {
                        l.read();
                    }
                }
                case StreamEvent.Closed<ByteBuf> c -> {
                    Channel l = locals.remove(id);
                    if (l != null) {
                        if (c.clean()) {
                            l.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(f -> l.close());
                        } else {
                            l.close();
                        }
                    }
                }
                default -> { }
            }
        }

        @Override
        public void sent(MuxChannel m, long id, int n) {
            // credit for the relay leg comes back as WINDOW_UPDATE; nothing to do per write
        }

        private void open(long id, StreamTarget t) {
            if (!allowedPorts.contains(t.port())) {
                refused.incrementAndGet();
                String why = "port " + t.port() + " is not in " + t.node() + "'s allow-list (allowed: " + ports()
                        + "; agent flag --allow-port)";
                log.info("tunnel stream {}: refused: {}", id, why);
                mux.mux().reset(id, ResetCode.DENIED, why);
                return;
            }
            Channel relay = mux.channel();
            Bootstrap b = new Bootstrap().group(relay.eventLoop())
                    .channel(relay instanceof EpollSocketChannel ? EpollSocketChannel.class : NioSocketChannel.class)
                    .option(ChannelOption.AUTO_READ, false)
                    .option(ChannelOption.ALLOW_HALF_CLOSURE, true)
                    .option(ChannelOption.TCP_NODELAY, true)
                    .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 5000)
                    .handler(new Local(id));
            b.connect(new InetSocketAddress(loopback, t.port())).addListener(f -> {
                Channel l = ((io.netty.channel.ChannelFuture) f).channel();
                if (!mux.mux().isOpen(id)) {
                    l.close(); // reset or connection lost meanwhile
                    return;
                }
                if (!f.isSuccess()) {
                    refused.incrementAndGet();
                    String why = "127.0.0.1:" + t.port() + " on " + t.node() + ": " + rootMessage(f.cause());
                    log.info("tunnel stream {}: {}", id, why);
                    mux.mux().reset(id, ResetCode.CONNECT_FAILED, why);
                    mux.pump();
                    return;
                }
                accepted.incrementAndGet();
                locals.put(id, l);
                mux.mux().accept(id);
                mux.pump();
                l.read();
            });
        }

        /** The local socket of one stream; on the relay connection's loop. */
        private final class Local extends ChannelInboundHandlerAdapter {
            private final long id;
            /** The local socket sent FIN / we shut its output after the relay's HALF_CLOSE. */
            boolean inputDone;
            boolean outputDone;
            private boolean flushScheduled;

            /** One flush for every frame written to the local socket in this turn of the loop. */
            void flushSoon(Channel l) {
                if (!flushScheduled) {
                    flushScheduled = true;
                    l.eventLoop().execute(() -> {
                        flushScheduled = false;
                        l.flush();
                    });
                }
            }

            Local(long id) {
                this.id = id;
            }

            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                ByteBuf b = (ByteBuf) msg;
                if (mux.mux().send(id, b)) {
                    ctx.read();
                }
                mux.pump();
            }

            @Override
            public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
                if (evt instanceof ChannelInputShutdownEvent) {
                    inputDone = true;
                    mux.mux().halfClose(id);
                    mux.pump();
                    return;
                }
                ctx.fireUserEventTriggered(evt);
            }

            @Override
            public void channelInactive(ChannelHandlerContext ctx) {
                // both directions already ended: the stream finishes cleanly through the mux (HALF_CLOSE may still
                // be waiting for its turn); otherwise bytes are lost and the engineer must know
                if (locals.remove(id, ctx.channel()) && mux.mux().isOpen(id) && !(inputDone && outputDone)) {
                    mux.mux().reset(id, ResetCode.PEER_GONE, "local connection to port closed");
                    mux.pump();
                }
            }

            @Override
            public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                log.debug("tunnel stream {}: local socket: {}", id, cause.toString());
                ctx.close();
            }
        }
    }

    @Override
    public void frame(Channel ch, FrameType type, long streamId, ByteBuf payload) {
        Conn c = ch.attr(CONN).get();
        if (c == null) {
            c = new Conn(ch);
            ch.attr(CONN).set(c);
        }
        c.mux.frame(type, streamId, payload);
    }

    private String ports() {
        List<String> l = new TreeSet<>(allowedPorts).stream().map(String::valueOf).toList();
        return l.isEmpty() ? "none" : String.join(",", l);
    }

    private static String rootMessage(Throwable t) {
        Throwable c = t;
        while (c.getCause() != null && c.getCause() != c) {
            c = c.getCause();
        }
        return c.getMessage() == null ? c.getClass().getSimpleName() : c.getMessage();
    }
}
