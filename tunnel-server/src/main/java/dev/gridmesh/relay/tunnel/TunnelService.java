package dev.gridmesh.relay.tunnel;

import dev.gridmesh.protocol.netty.MuxChannel;
import dev.gridmesh.protocol.relay.FrameType;
import dev.gridmesh.protocol.relay.Frames;
import dev.gridmesh.protocol.stream.ResetCode;
import dev.gridmesh.protocol.stream.StreamMux;
import dev.gridmesh.protocol.stream.StreamEvent;
import dev.gridmesh.protocol.stream.StreamTarget;
import dev.gridmesh.relay.server.ClusterHooks;
import dev.gridmesh.relay.server.RelayFrameDecoder;
import dev.gridmesh.relay.server.RelayFrameEncoder;
import dev.gridmesh.relay.server.RelayHub;
import dev.gridmesh.relay.store.NodeRecord;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
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
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.AttributeKey;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Engineer tunnels through the relay:
 * <pre>
 *  engineer (gridmesh tunnel)            relay                                agent (worker)
 *   TLS, GET /gridmesh/v1/tunnel          token -> user (tunnel-users)
 *   Authorization: Bearer gmu_...  ----> 101 (or 401 + one-line reason)
 *   STREAM_OPEN(node:port)         ----> policy (tunnel-policy) -> STREAM_OPEN(node:port) on the agent's connection --->
 *                                                                   allow-list, connect 127.0.0.1:port
 *   STREAM_OPEN(accept)            <---- <-------------------------------------- STREAM_OPEN(accept) | RESET(reason)
 *   DATA / WINDOW_UPDATE / HALF_CLOSE / RESET joined both ways, credit given back only once bytes left the relay
 * </pre>
 * Each leg is a {@link MuxChannel} on its own channel's event loop; the joiner hops between loops with
 * {@link MuxChannel#run}. Per stream the relay holds at most one window (256 KiB) each way, whoever stops reading.
 * {@code GET /gridmesh/v1/tunnel/nodes} with the token lists the nodes and ports the user may reach.
 *
 * <p>Several relays (docs/multi-relay.md): when the node is connected to another relay of the mesh, the engineer's
 * relay checks the token and the policy as above and opens the agent-side stream on a stream link to that relay
 * ({@link ClusterHooks#streamLink}, one per relay pair, dialed on first use) instead of on an agent connection. The
 * other relay serves that link as it serves an engineer connection, trusted (no token, no policy: the engineer's
 * relay decided), joined to the node's connection there. Each leg keeps its own window, so the bound per stream is
 * one window each way per leg:
 * <pre>
 *   engineer ==== relay 1 (token, policy) ==stream link (TLS, pinned, HMAC)== relay 2 ==== agent (allow-list)
 * </pre>
 *
 * <p>An engineer connection with no open stream and no traffic for {@link #DEFAULT_ENGINEER_IDLE} (changeable with
 * {@link #engineerIdleTimeout}) is closed and counted; one with an open stream is never closed for idling (an idle
 * interactive ssh session, keepalives off, stays up). Stream frames the protocol refuses are counted per leg
 * ({@link TunnelCounters#drops}).
 *
 * <p>Found by the relay's handlers through the channel attribute {@link #KEY}. Thread-safe.
 */
public final class TunnelService implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(TunnelService.class);
    public static final AttributeKey<TunnelService> KEY = AttributeKey.valueOf("gridmesh.tunnels");
    private static final AttributeKey<AgentLink> LINK = AttributeKey.valueOf("gridmesh.tunnelLink");
    private static final AttributeKey<Runnable> PRE_AUTH = AttributeKey.valueOf("gridmesh.preAuth");
    public static final String PATH = Frames.UPGRADE_PATH + "/tunnel";
    public static final String NODES_PATH = PATH + "/nodes";
    /** How long the agent has to accept or refuse a stream. */
    public static final long ACCEPT_TIMEOUT_MS = 10_000;
    public static final int MAX_STREAMS_PER_ENGINEER = 256;
    /** Streams one relay may open to this one on its stream link (engineers' streams for nodes connected here). */
    public static final int MAX_STREAMS_PER_RELAY_LINK = 4096;
    /** An engineer connection with no stream and no traffic this long is closed (it holds a TLS session for nothing). */
    public static final Duration DEFAULT_ENGINEER_IDLE = Duration.ofSeconds(60);

    private final Path stateDir;
    private final RelayHub hub;
    private final Clock clock;
    private final int maxPayload;
    private final SessionLog sessions;
    private final Map<String, AgentLink> links = new ConcurrentHashMap<>();
    /** Stream links to the other relays of the mesh, by relay id (each an agent-side leg for many nodes). */
    private final Map<String, CompletableFuture<AgentLink>> relayLinks = new ConcurrentHashMap<>();
    private final TunnelCounters counters = new TunnelCounters();
    private volatile Duration engineerIdle = DEFAULT_ENGINEER_IDLE;
    private volatile Loaded<UserStore> users = new Loaded<>(null, UserStore.empty());
    private volatile Loaded<TunnelPolicy> policy = new Loaded<>(null, TunnelPolicy.denyAll());

    private record Loaded<T>(String stamp, T value) {}

    /** An agent's connection, or a stream link to another relay, as the joiner sees it. */
    private static final class AgentLink {
        final String name;
        final Set<String> tags;
        final MuxChannel mux;
        final String gone; // why its streams end when the connection is lost
        final Map<Long, Join> streams = new HashMap<>(); // on mux's loop

        AgentLink(String name, Set<String> tags, Channel ch, MuxChannel.Listener l, String gone, TunnelCounters counters) {
            this.name = name;
            this.tags = tags;
            this.gone = gone;
            this.mux = new MuxChannel(ch, true, 4096, StreamMux.INITIAL_WINDOW,
                    d -> counters.onDrop(TunnelCounters.Leg.NODE, d), l);
        }
    }

    /** One engineer stream joined to one agent stream. */
    private static final class Join {
        final MuxChannel e;
        final long eid;
        final AgentLink a;
        final String user;
        final StreamTarget target;
        final Instant start;
        volatile long aid;
        volatile boolean accepted;

        Join(MuxChannel e, long eid, AgentLink a, String user, StreamTarget target, Instant start) {
            this.e = e;
            this.eid = eid;
            this.a = a;
            this.user = user;
            this.target = target;
            this.start = start;
        }
    }

    public TunnelService(Path stateDir, RelayHub hub, Clock clock, int maxPayload) throws IOException {
        this.stateDir = Objects.requireNonNull(stateDir, "stateDir");
        this.hub = Objects.requireNonNull(hub, "hub");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.maxPayload = maxPayload;
        this.sessions = new SessionLog(stateDir);
        users();
        policy();
    }

    /** Streams handed to an agent. */
    public long streamsOpened() {
        return counters.opened();
    }

    /** Refusals: token, policy, unknown or offline node, and the agents' own (allow-list, connect, timeout). */
    public long streamsDenied() {
        return counters.deniedTotal();
    }

    /** Every tunnel counter (stats, metrics). */
    public TunnelCounters counters() {
        return counters;
    }

    /** Tunnel streams open now, summed over agent connections (each map read off its loop: approximate, metrics). */
    public int streamsOpen() {
        int n = 0;
        for (AgentLink l : links.values()) {
            n += l.streams.size();
        }
        for (CompletableFuture<AgentLink> f : relayLinks.values()) {
            AgentLink l = f.getNow(null);
            n += l == null ? 0 : l.streams.size();
        }
        return n;
    }

    /** Open tunnel streams across all agent connections (approximate, for stats). */
    public int agentsWithTunnels() {
        return links.size();
    }

    // ------------------------------------------------------------------ configuration files

    UserStore users() {
        String st = UserStore.stamp(stateDir, UserStore.FILE);
        Loaded<UserStore> cur = users;
        if (!Objects.equals(st, cur.stamp())) {
            try {
                cur = new Loaded<>(st, UserStore.load(stateDir));
                users = cur;
            } catch (IOException e) {
                log.warn("tunnel users: {} (keeping the previous list)", e.getMessage());
            }
        }
        return cur.value();
    }

    TunnelPolicy policy() {
        String st = UserStore.stamp(stateDir, TunnelPolicy.FILE);
        Loaded<TunnelPolicy> cur = policy;
        if (!Objects.equals(st, cur.stamp())) {
            try {
                cur = new Loaded<>(st, TunnelPolicy.load(stateDir));
                policy = cur;
                log.info("tunnel policy: {} rule(s)", cur.value().rules().size());
            } catch (IOException e) {
                log.warn("tunnel policy: {} (keeping the previous policy)", e.getMessage());
            }
        }
        return cur.value();
    }

    // ------------------------------------------------------------------ agent side hooks

    /** An agent connection authenticated as {@code node}: streams to it go over {@code ch}. */
    public void agentOnline(NodeRecord node, Channel ch) {
        AgentLink link = new AgentLink(node.name(), node.tags(), ch, agentListener,
                "node " + node.name() + " disconnected from the relay", counters);
        ch.attr(LINK).set(link);
        links.put(node.name(), link);
        ch.closeFuture().addListener(f -> links.remove(node.name(), link));
    }

    /** A stream frame on an agent connection; takes ownership of {@code payload}. On that channel's loop. */
    public void agentFrame(Channel ch, FrameType type, long id, ByteBuf payload) {
        AgentLink link = ch.attr(LINK).get();
        if (link == null) {
            payload.release();
            return;
        }
        link.mux.frame(type, id, payload);
    }

    private final MuxChannel.Listener agentListener = new MuxChannel.Listener() {
        @Override
        public void event(MuxChannel ch, StreamEvent<ByteBuf> ev) {
            AgentLink link = ch.channel().attr(LINK).get();
            Join j = link == null ? null : link.streams.get(ev.id());
            if (j == null) {
                if (ev instanceof StreamEvent.Data<ByteBuf> d) {
                    d.bytes().release();
                }
                return;
            }
            switch (ev) {
                case StreamEvent.Accepted<ByteBuf> ignored -> {
                    j.accepted = true;
                    counters.onAccepted();
                    j.e.run(() -> {
                        j.e.mux().accept(j.eid);
                        j.e.pump();
                    });
                }
                case StreamEvent.Data<ByteBuf> d -> {
                    counters.onFromNode(d.bytes().readableBytes());
                    j.e.run(() -> {
                        j.e.mux().send(j.eid, d.bytes());
                        j.e.pump();
                    });
                }
                case StreamEvent.Eof<ByteBuf> ignored -> j.e.run(() -> {
                    j.e.mux().halfClose(j.eid);
                    j.e.pump();
                });
                case StreamEvent.Closed<ByteBuf> c -> {
                    link.streams.remove(ev.id());
                    if (!c.clean()) {
                        String why = c.code() == ResetCode.PEER_GONE && !c.byPeer()
                                ? link.gone
                                : (c.reason().isEmpty() ? c.code().toString() : c.reason());
                        ResetCode code = c.code();
                        j.e.run(() -> {
                            j.e.mux().reset(j.eid, code, why);
                            j.e.pump();
                        });
                    }
                }
                default -> { }
            }
        }

        @Override
        public void sent(MuxChannel ch, long id, int n) {
            AgentLink link = ch.channel().attr(LINK).get();
            Join j = link == null ? null : link.streams.get(id);
            if (j != null) {
                j.e.run(() -> {
                    j.e.mux().consumed(j.eid, n);
                    j.e.pump();
                });
            }
        }
    };

    // ------------------------------------------------------------------ engineer side

    /** Whether {@code path} is served here (called by the relay's HTTP handler). */
    public boolean handles(String path) {
        return path.equals(PATH) || path.equals(NODES_PATH);
    }

    /** Serves an engineer's HTTP request on {@code ctx}'s channel (inside TLS). */
    public void http(ChannelHandlerContext ctx, FullHttpRequest req, String path) {
        String auth = req.headers().get(HttpHeaderNames.AUTHORIZATION, "").strip();
        if (!auth.regionMatches(true, 0, "Bearer ", 0, 7)) {
            counters.onDenied(TunnelCounters.Denial.TOKEN);
            respond(ctx, HttpResponseStatus.UNAUTHORIZED, "no user token (log in: gridmesh login --server HOST:PORT --pin sha256:... --token TOKEN)");
            return;
        }
        UserStore.Auth a = users().authenticate(auth.substring(7).strip());
        if (a instanceof UserStore.Auth.Refused(String reason)) {
            counters.onDenied(TunnelCounters.Denial.TOKEN);
            log.info("{}: tunnel login refused: {}", ctx.channel().remoteAddress(), reason);
            respond(ctx, HttpResponseStatus.UNAUTHORIZED, reason);
            return;
        }
        UserStore.User user = ((UserStore.Auth.Ok) a).user();
        if (path.equals(NODES_PATH)) {
            respond(ctx, HttpResponseStatus.OK, nodesFor(user));
            return;
        }
        if (!req.method().equals(HttpMethod.GET)
                || !req.headers().containsValue(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE, true)
                || !Frames.UPGRADE_TOKEN.equalsIgnoreCase(req.headers().get(HttpHeaderNames.UPGRADE, "").strip())) {
            respond(ctx, HttpResponseStatus.BAD_REQUEST, "expected GET " + PATH + " with Connection: Upgrade, Upgrade: " + Frames.UPGRADE_TOKEN);
            return;
        }
        Runnable permit = ctx.channel().attr(PRE_AUTH).getAndSet(null);
        if (permit != null) {
            permit.run();
        }
        HttpResponse r = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.SWITCHING_PROTOCOLS);
        r.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE);
        r.headers().set(HttpHeaderNames.UPGRADE, Frames.UPGRADE_TOKEN);
        ctx.writeAndFlush(r).addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
        ChannelPipeline p = ctx.pipeline();
        MuxChannel e = engineerMux(ctx.channel(), MAX_STREAMS_PER_ENGINEER, new EngineerListener(user, false));
        p.addAfter("http", "frame-decoder", new RelayFrameDecoder(maxPayload));
        p.addAfter("frame-decoder", "frame-encoder", RelayFrameEncoder.INSTANCE);
        p.addAfter("frame-encoder", "tunnel-idle", new IdleStateHandler(0, 0, engineerIdle.toMillis(), TimeUnit.MILLISECONDS));
        p.addAfter("tunnel-idle", "tunnel", new EngineerHandler(e, () -> {
            counters.onIdleClosed();
            log.info("{}: tunnel connection of user {} closed: no stream and no traffic for {} ms",
                    ctx.channel().remoteAddress(), user.name(), engineerIdle.toMillis());
        }));
        p.remove(ctx.handler());
        if (p.get("http-aggregator") != null) {
            p.remove("http-aggregator");
        }
        p.remove("http");
    }

    private String nodesFor(UserStore.User user) {
        TunnelPolicy pol = policy();
        StringBuilder b = new StringBuilder();
        for (RelayHub.NodeView v : hub.snapshot()) {
            String ports = pol.portsFor(user.name(), user.groups(), v.node().name(), v.node().tags());
            if (ports != null) {
                b.append(v.node().name()).append(' ').append(ports).append(' ').append(v.online() ? "online" : "offline").append('\n');
            }
        }
        return b.toString();
    }

    private static void respond(ChannelHandlerContext ctx, HttpResponseStatus status, String body) {
        String text = body.endsWith("\n") || body.isEmpty() && status.code() == 200 ? body : body + "\n";
        FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status,
                Unpooled.copiedBuffer(text, StandardCharsets.UTF_8));
        r.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8");
        r.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        HttpUtil.setContentLength(r, r.content().readableBytes());
        ctx.writeAndFlush(r).addListener(ChannelFutureListener.CLOSE);
    }

    /** The engineer leg's events. On the engineer channel's loop. */
    private final class EngineerListener implements MuxChannel.Listener {
        private final UserStore.User user;
        /** A stream link from another relay: that relay checked the token and the policy; only local nodes. */
        private final boolean relayPeer;
        private final Map<Long, Join> joins = new HashMap<>();

        EngineerListener(UserStore.User user, boolean relayPeer) {
            this.user = user;
            this.relayPeer = relayPeer;
        }

        @Override
        public void event(MuxChannel e, StreamEvent<ByteBuf> ev) {
            switch (ev) {
                case StreamEvent.Opened<ByteBuf> o -> open(e, o.id(), o.target());
                case StreamEvent.Data<ByteBuf> d -> {
                    Join j = joins.get(d.id());
                    if (j == null) {
                        d.bytes().release();
                        return;
                    }
                    counters.onToNode(d.bytes().readableBytes());
                    j.a.mux.run(() -> {
                        j.a.mux.mux().send(j.aid, d.bytes());
                        j.a.mux.pump();
                    });
                }
                case StreamEvent.Eof<ByteBuf> ignored -> {
                    Join j = joins.get(ev.id());
                    if (j != null) {
                        j.a.mux.run(() -> {
                            j.a.mux.mux().halfClose(j.aid);
                            j.a.mux.pump();
                        });
                    }
                }
                case StreamEvent.Closed<ByteBuf> c -> {
                    Join j = joins.remove(ev.id());
                    if (j == null) {
                        return;
                    }
                    if (j.accepted || c.byPeer()) {
                        counters.onClosed(c.clean());
                    } else { // the agent refused, its connection went, or the relay's accept timeout
                        counters.onDenied(TunnelCounters.Denial.ofAgentReset(c.code()));
                    }
                    String result = c.clean() ? "ok" : (c.byPeer() ? "reset by engineer: " : "reset: ") + c.code()
                            + (c.reason().isEmpty() ? "" : " " + c.reason());
                    sessions.record(user.name(), j.target.node(), j.target.port(), j.start, clock.instant(),
                            c.bytesReceived(), c.bytesSent(), j.accepted ? result : "refused: " + c.reason());
                    if (!c.clean()) {
                        String why = c.byPeer() ? "engineer reset the stream" : "engineer connection: " + c.reason();
                        j.a.mux.run(() -> {
                            j.a.mux.mux().reset(j.aid, ResetCode.PEER_GONE, why);
                            j.a.mux.pump();
                        });
                    }
                }
                default -> { }
            }
        }

        @Override
        public void sent(MuxChannel e, long id, int n) {
            Join j = joins.get(id);
            if (j != null) {
                j.a.mux.run(() -> {
                    j.a.mux.mux().consumed(j.aid, n);
                    j.a.mux.pump();
                });
            }
        }

        private void open(MuxChannel e, long eid, StreamTarget t) {
            Instant now = clock.instant();
            AgentLink link = links.get(t.node());
            NodeRecord known = link != null ? null : find(t.node());
            Set<String> tags = link != null ? link.tags : known != null ? known.tags() : Set.of();
            if (!relayPeer && !policy().allows(user.name(), user.groups(), t.node(), tags, t.port())) {
                refuse(e, eid, t, now, ResetCode.DENIED, TunnelCounters.Denial.POLICY, "policy: user " + user.name() + " may not reach " + t
                        + " (ask the relay's operator to add a rule to " + TunnelPolicy.FILE + ")");
                return;
            }
            if ((link == null || link.mux.isClosed()) && !relayPeer && known != null) {
                String holder = hub.hooks().holderElsewhere(known.nodeKey());
                if (holder != null) {
                    openElsewhere(e, eid, t, now, holder);
                    return;
                }
            }
            if (link == null || link.mux.isClosed()) {
                boolean unknown = known == null && link == null;
                refuse(e, eid, t, now, ResetCode.NO_SUCH_NODE, unknown ? TunnelCounters.Denial.NO_SUCH_NODE
                        : TunnelCounters.Denial.NODE_OFFLINE, unknown ? "no node named " + t.node() + " on this relay" : "node " + t.node() + " is not connected to the relay");
                return;
            }
            join(e, eid, t, now, link);
        }

        /** The node is connected to relay {@code holder}: the agent-side leg is a stream on the link to it. */
        private void openElsewhere(MuxChannel e, long eid, StreamTarget t, Instant now, String holder) {
            relayLink(holder).whenComplete((link, err) -> e.run(() -> {
                if (!e.mux().isOpen(eid)) {
                    return; // the engineer reset it, or went, meanwhile
                }
                if (err != null || link.mux.isClosed()) {
                    Throwable cause = err instanceof java.util.concurrent.CompletionException && err.getCause() != null
                            ? err.getCause() : err;
                    String why = cause == null ? "link closed" : cause.getMessage();
                    refuse(e, eid, t, now, ResetCode.NO_SUCH_NODE, TunnelCounters.Denial.NODE_OFFLINE, "node " + t.node()
                            + " is connected to relay " + holder + ", which this relay cannot reach: " + why);
                    e.pump();
                    return;
                }
                join(e, eid, t, now, link);
                e.pump();
            }));
        }

        private void join(MuxChannel e, long eid, StreamTarget t, Instant now, AgentLink link) {
            Join j = new Join(e, eid, link, user.name(), t, now);
            joins.put(eid, j);
            counters.onOpened();
            link.mux.run(() -> {
                if (link.mux.isClosed()) {
                    e.run(() -> {
                        e.mux().reset(eid, ResetCode.NO_SUCH_NODE, "node " + t.node() + " is not connected to the relay");
                        e.pump();
                    });
                    return;
                }
                long aid = link.mux.mux().open(t);
                j.aid = aid;
                link.streams.put(aid, j);
                link.mux.pump();
                link.mux.channel().eventLoop().schedule(() -> {
                    if (!j.accepted && link.mux.mux().isOpen(aid) && link.streams.get(aid) == j) {
                        link.mux.mux().reset(aid, ResetCode.TIMEOUT, "node " + t.node() + " did not answer within "
                                + ACCEPT_TIMEOUT_MS + " ms");
                        link.mux.pump();
                    }
                }, ACCEPT_TIMEOUT_MS, TimeUnit.MILLISECONDS);
            });
        }

        private void refuse(MuxChannel e, long eid, StreamTarget t, Instant now, ResetCode code,
                TunnelCounters.Denial denial, String why) {
            counters.onDenied(denial);
            sessions.record(user.name(), t.node(), t.port(), now, now, 0, 0, "denied: " + why);
            e.mux().reset(eid, code, why);
        }
    }

    /** The stream link to relay {@code id}: the one up or being dialed, else a new one. */
    private CompletableFuture<AgentLink> relayLink(String id) {
        return relayLinks.compute(id, (k, cur) -> {
            if (cur != null && (!cur.isDone() || (!cur.isCompletedExceptionally() && cur.join().mux.channel().isOpen()))) {
                return cur;
            }
            return hub.hooks().streamLink(id, ch -> {
                AgentLink l = new AgentLink("relay " + id, Set.of(), ch, agentListener,
                        "the link to relay " + id + " (which holds the node) closed", counters);
                ch.attr(LINK).set(l);
                ch.pipeline().addLast("frame-decoder", new RelayFrameDecoder(maxPayload))
                        .addLast("frame-encoder", RelayFrameEncoder.INSTANCE)
                        .addLast("tunnel", new EngineerHandler(l.mux, null));
            }).thenApply(ch -> ch.attr(LINK).get());
        });
    }

    /**
     * A stream link from relay {@code relayId} authenticated on {@code ch} (after TLS, before any stream frame): it
     * is served like an engineer connection whose streams the other relay already allowed, to nodes connected here.
     */
    public void relayPeer(Channel ch, String relayId) {
        MuxChannel e = engineerMux(ch, MAX_STREAMS_PER_RELAY_LINK,
                new EngineerListener(new UserStore.User("relay:" + relayId, Set.of()), true));
        ch.pipeline().addLast("frame-decoder", new RelayFrameDecoder(maxPayload))
                .addLast("frame-encoder", RelayFrameEncoder.INSTANCE)
                .addLast("tunnel", new EngineerHandler(e, null));
    }

    /** The engineer-side leg of a connection (engineer, or another relay's stream link): its refusals are counted. */
    private MuxChannel engineerMux(Channel ch, int maxStreams, MuxChannel.Listener l) {
        return new MuxChannel(ch, false, maxStreams, StreamMux.INITIAL_WINDOW,
                d -> counters.onDrop(TunnelCounters.Leg.ENGINEER, d), l);
    }

    /** Idle timeout for engineer connections upgraded from now on (no open stream, nothing read or written). */
    public void engineerIdleTimeout(Duration d) {
        if (d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException("engineer idle timeout " + d + " (expected: > 0)");
        }
        engineerIdle = d;
    }

    public Duration engineerIdleTimeout() {
        return engineerIdle;
    }

    private NodeRecord find(String name) {
        for (RelayHub.NodeView v : hub.snapshot()) {
            if (v.node().name().equals(name)) {
                return v.node();
            }
        }
        return null;
    }

    @Override
    public void close() throws IOException {
        sessions.close();
    }
}
