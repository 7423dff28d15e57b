package dev.gridmesh.relay.server;

import dev.gridmesh.crypto.NodePublicKey;
import dev.gridmesh.protocol.relay.ControlMessage;
import dev.gridmesh.protocol.relay.FrameHeader;
import dev.gridmesh.protocol.relay.FrameType;
import dev.gridmesh.protocol.relay.Frames;
import dev.gridmesh.protocol.relay.RegistrationProof;
import dev.gridmesh.protocol.relay.RelayDecodeException;
import dev.gridmesh.relay.store.JoinTokens;
import dev.gridmesh.relay.store.NodeRecord;
import dev.gridmesh.relay.store.Registration;
import dev.gridmesh.relay.store.StoreException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One agent connection after the HTTP upgrade. A state machine:
 *
 * <pre>
 *  AWAIT_REGISTER --Register, proof ok--> REGISTERING --store admits--> AUTHENTICATED
 *        |                                     |                              |
 *        +--- anything else / bad proof -------+--- refused / any frame ------+--- bad frame, 2nd Register,
 *                                                                                  idle, removed, replaced --> CLOSED
 * </pre>
 *
 * On the upgrade it sends ServerHello (fresh ephemeral key and challenge). Every refusal is counted by
 * {@link RelayCounter}, logged with its reason, answered with an Error message and ends the connection; drops
 * ({@link RelayCounter.Kind#DROP}) discard one frame. Relayed packets are forwarded to the destination's connection
 * with the key rewritten to the source's (in place, no copy), or dropped when the destination is offline or its
 * outbound buffer is above the high water mark: the relay never queues without bound.
 *
 * <p>All state is touched on the channel's event loop except {@link #state} (volatile: the store thread sets
 * AUTHENTICATED). Not shareable.
 */
final class RelaySessionHandler extends ChannelInboundHandlerAdapter implements RelaySession {
    private static final Logger log = LoggerFactory.getLogger(RelaySessionHandler.class);

    enum State { AWAIT_REGISTER, REGISTERING, AUTHENTICATED, CLOSED }

    private final RelayContext rc;
    private final PeerFeed peerFeed = new PeerFeed(this);
    private RegistrationProof proof; // null once used: 100 bytes less per idle connection
    private final List<Channel> toFlush = new ArrayList<>(4);
    /** Packets for connections of other event loops, gathered during one read burst (see forward()). */
    private final List<RelaySessionHandler> crossDst = new ArrayList<>(4);
    /** Bytes other connections' event loops gathered for this connection and have not written to it yet. */
    private final java.util.concurrent.atomic.AtomicLong gatheredForMe = new java.util.concurrent.atomic.AtomicLong();
    /** Per entry of crossDst: the outgoing frames, each a ByteBuf (header and payload) or a RelayFrame. */
    private final List<List<Object>> crossFrames = new ArrayList<>(4);
    private final byte[] keyScratch = new byte[Frames.PACKET_KEY_SIZE];
    private final byte[] lastDstBytes = new byte[Frames.PACKET_KEY_SIZE];
    private NodePublicKey lastDstKey; // event loop only; see forward()
    private volatile State state = State.AWAIT_REGISTER;
    private volatile NodePublicKey nodeKey;
    private volatile String nodeName;
    private ChannelHandlerContext ctx;
    private ScheduledFuture<?> authDeadline;
    /** SetEndpoints is broadcast to every peer: at most one per second per connection is accepted. */
    private static final long ENDPOINTS_MIN_INTERVAL_NANOS = 1_000_000_000L;
    private long lastEndpointsNanos;
    private int idleTicks;
    private long pingNonce;

    RelaySessionHandler(RelayContext rc) {
        this.rc = rc;
        this.proof = new RegistrationProof(rc.random());
    }

    State state() {
        return state;
    }

    @Override
    public NodePublicKey nodeKey() {
        return nodeKey;
    }

    @Override
    public Channel channel() {
        return ctx.channel();
    }

    @Override
    public PeerFeed peerFeed() {
        return peerFeed;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        pingNonce = rc.random().nextLong();
        ctx.writeAndFlush(RelayFrame.control(proof.hello()));
        long ms = rc.config().authTimeout().toMillis();
        authDeadline = ctx.executor().schedule(() -> {
            if (state == State.AWAIT_REGISTER || state == State.REGISTERING) {
                refuse(RelayCounter.AUTH_TIMEOUT, "no successful registration within " + ms + " ms");
            }
        }, ms, TimeUnit.MILLISECONDS);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        idleTicks = 0;
        try {
            if (state == State.CLOSED) {
                return;
            }
            switch (msg) {
                case BadFrame(RelayDecodeException e) -> refuse(switch (e.reason()) {
                    case BAD_VERSION -> RelayCounter.FRAME_BAD_VERSION;
                    case UNKNOWN_FRAME_TYPE -> RelayCounter.FRAME_UNKNOWN_TYPE;
                    case FRAME_TOO_LARGE -> RelayCounter.FRAME_TOO_LARGE;
                    default -> RelayCounter.FRAME_MALFORMED;
                }, e.getMessage());
                case RelayFrame f -> frame(f);
                case PacketRun r -> packetRun(r);
                default -> refuse(RelayCounter.CONNECTION_ERROR, "unexpected " + msg.getClass().getSimpleName());
            }
        } finally {
            ReferenceCountUtil.release(msg);
        }
    }

    private void frame(RelayFrame f) {
        if (f.type() == FrameType.CONTROL) {
            ControlMessage m;
            try {
                m = ControlMessage.parse(f.content().nioBuffer());
            } catch (RelayDecodeException e) {
                refuse(RelayCounter.FRAME_MALFORMED, "control message: " + e.getMessage());
                return;
            }
            control(m);
            return;
        }
        if (state != State.AUTHENTICATED) {
            refuse(RelayCounter.FRAME_BEFORE_AUTH, f.type() + " frame before authentication");
            return;
        }
        switch (f.type()) {
            case PACKET -> forward(f);
            default -> {
                dev.gridmesh.relay.tunnel.TunnelService tunnels = ctx.channel().attr(dev.gridmesh.relay.tunnel.TunnelService.KEY).get();
                if (tunnels != null) {
                    tunnels.agentFrame(ctx.channel(), f.type(), f.streamId(), f.content().retain()); // docs/tunnels.md
                } else if (f.type() == FrameType.STREAM_OPEN) {
                    rc.metrics().increment(RelayCounter.STREAM_UNSUPPORTED);
                    ByteBuf code = Unpooled.buffer(2).writeShort(1);
                    reply(ctx, new RelayFrame(FrameType.STREAM_RESET, f.streamId(), code));
                } else {
                    rc.metrics().increment(RelayCounter.STREAM_UNSUPPORTED);
                }
            }
        }
    }

    private void control(ControlMessage m) {
        State s = state;
        if (m instanceof ControlMessage.Register r) {
            if (s == State.AWAIT_REGISTER) {
                register(r);
            } else {
                refuse(RelayCounter.REGISTRATION_REPLAYED, "second Register on this connection (" + r.nodeKey().shortString() + ")");
            }
            return;
        }
        if (s != State.AUTHENTICATED) {
            refuse(RelayCounter.FRAME_BEFORE_AUTH, m.getClass().getSimpleName() + " before authentication");
            return;
        }
        switch (m) {
            case ControlMessage.Ping p -> reply(ctx, RelayFrame.control(new ControlMessage.Pong(p.nonce())));
            case ControlMessage.Pong ignored -> { /* liveness already noted */ }
            case ControlMessage.SetEndpoints se -> {
                long now = System.nanoTime();
                if (lastEndpointsNanos != 0 && now - lastEndpointsNanos < ENDPOINTS_MIN_INTERVAL_NANOS) {
                    rc.metrics().increment(RelayCounter.ENDPOINTS_RATE_LIMITED);
                    return;
                }
                lastEndpointsNanos = now;
                NodePublicKey key = nodeKey;
                try {
                    rc.storeExecutor().execute(() -> rc.hub().endpoints(this, se.endpoints(), rc.clock().instant())
                            .ifPresent(n -> {
                                try {
                                    rc.store().updateSeen(key, n.lastSeen(), n.endpoints());
                                } catch (StoreException e) {
                                    log.warn("{}: store endpoints: {}", nodeName, e.getMessage());
                                }
                            }));
                } catch (RejectedExecutionException e) {
                    // shutting down
                }
            }
            case ControlMessage.Error e -> refuse(RelayCounter.PEER_ERROR, "agent sent error " + e.code() + ": " + e.message());
            default -> {
                rc.metrics().increment(RelayCounter.UNEXPECTED_MESSAGE);
                log.debug("{}: dropped unexpected {}", nodeName, m.getClass().getSimpleName());
            }
        }
    }

    private void register(ControlMessage.Register r) {
        if (!proof.verify(r)) {
            refuse(RelayCounter.AUTH_FAILED, "proof of key possession does not verify for " + r.nodeKey().shortString()
                    + " (forged key or registration replayed from another connection)");
            return;
        }
        proof.destroy();
        proof = null;
        state = State.REGISTERING;
        nodeKey = r.nodeKey();
        byte[] tokenHash = r.joinToken().isEmpty() ? null : JoinTokens.hash(r.joinToken());
        try {
            rc.storeExecutor().execute(() -> admit(r, tokenHash));
        } catch (RejectedExecutionException e) {
            refuse(RelayCounter.STORE_ERROR, "relay shutting down");
        }
    }

    /** On the store thread. */
    private void admit(ControlMessage.Register r, byte[] tokenHash) {
        if (!ctx.channel().isActive()) {
            return;
        }
        Registration result;
        try {
            result = rc.store().register(r.nodeKey(), r.hostname(), tokenHash, rc.config().overlayRange(), rc.clock().instant());
        } catch (StoreException e) {
            refuse(RelayCounter.STORE_ERROR, e.getMessage());
            return;
        }
        switch (result) {
            case Registration.Refused(var code, String reason) -> refuse(switch (code) {
                case TOKEN_EXPIRED -> RelayCounter.TOKEN_EXPIRED;
                case TOKEN_USED_UP -> RelayCounter.TOKEN_USED_UP;
                case UNKNOWN_NODE -> RelayCounter.UNKNOWN_NODE;
                case ADDRESS_EXHAUSTED -> RelayCounter.ADDRESS_EXHAUSTED;
                default -> RelayCounter.TOKEN_INVALID;
            }, reason);
            case Registration.Admitted(NodeRecord n, boolean created) -> {
                nodeName = n.name();
                state = State.AUTHENTICATED;
                Runnable permit = ctx.channel().attr(RelayChannelInitializer.PRE_AUTH).getAndSet(null);
                if (permit != null) {
                    permit.run();
                }
                rc.metrics().increment(created ? RelayCounter.NODES_ADMITTED : RelayCounter.NODES_AUTHENTICATED);
                log.info("{}: {} {} as {} ({})", remote(), created ? "admitted" : "authenticated", n.nodeKey().shortString(),
                        n.name(), n.overlayIp().getHostAddress());
                ctx.channel().writeAndFlush(RelayFrame.control(new ControlMessage.RegisterOk(n.name(), n.overlayIp(),
                        rc.config().overlayRange().bits())));
                rc.hub().online(this, n, created);
                // the map goes out on the event loop, after RegisterOk (queued above) and in order with its deltas
                try {
                    ctx.executor().execute(() -> rc.hub().startFeed(this));
                } catch (RejectedExecutionException e) {
                    // shutting down: the connection is closing
                }
                dev.gridmesh.relay.tunnel.TunnelService tunnels = ctx.channel().attr(dev.gridmesh.relay.tunnel.TunnelService.KEY).get();
                if (tunnels != null) {
                    tunnels.agentOnline(n, ctx.channel());
                }
            }
        }
    }

    /** The destination key at {@code index} of {@code b}; the key object is reused while the destination stays. */
    private NodePublicKey destinationKey(ByteBuf b, int index) {
        byte[] k = keyScratch;
        b.getBytes(index, k);
        // a connection sends to few peers: reuse the last destination's key object instead of one per packet
        NodePublicKey dk = lastDstKey;
        if (dk == null || !java.util.Arrays.equals(k, lastDstBytes)) {
            dk = NodePublicKey.fromBytes(k);
            lastDstKey = dk;
            System.arraycopy(k, 0, lastDstBytes, 0, k.length);
        }
        return dk;
    }

    /**
     * Several PACKET frames to one destination, back to back ({@link PacketRun}): one route lookup, one check against
     * the destination's high-water mark, every key rewritten in place, and one write of the whole buffer (TLS then
     * encrypts it in full records without first copying frames together). Destinations that are not a local agent
     * session (another relay of the mesh, tests) get the frames one by one through {@link #forward}.
     */
    private void packetRun(PacketRun r) {
        if (state != State.AUTHENTICATED) {
            refuse(RelayCounter.FRAME_BEFORE_AUTH, FrameType.PACKET + " frame before authentication");
            return;
        }
        ByteBuf w = r.content();
        int start = w.readerIndex();
        int end = w.writerIndex();
        RelaySession dst = rc.hub().route(destinationKey(w, start + FrameHeader.SIZE));
        if (!(dst instanceof RelaySessionHandler dh)) {
            for (int at = start; at < end; ) {
                int size = FrameHeader.SIZE + w.getInt(at + 8);
                RelayFrame f = RelayFrame.decoded(FrameType.PACKET, 0, w.retainedSlice(at, size));
                try {
                    forward(f);
                } finally {
                    f.release();
                }
                at += size;
            }
            return;
        }
        Channel dc = dh.channel();
        int count = r.count();
        if (!dc.isWritable() || dh.gatheredForMe.get() > dc.bytesBeforeUnwritable()) {
            rc.metrics().add(RelayCounter.PACKET_DESTINATION_SLOW, count);
            return;
        }
        byte[] k = keyScratch;
        nodeKey.copyTo(k, 0);
        for (int at = start; at < end; at += FrameHeader.SIZE + w.getInt(at + 8)) {
            w.setBytes(at + FrameHeader.SIZE, k); // destination key -> source key, in place
        }
        rc.metrics().add(RelayCounter.PACKETS_RELAYED, count);
        rc.metrics().add(RelayCounter.BYTES_RELAYED, (end - start) - (long) count * (FrameHeader.SIZE + Frames.PACKET_KEY_SIZE));
        send(dc, dh, w.retainedSlice());
    }

    private void forward(RelayFrame f) {
        ByteBuf p = f.content();
        if (p.readableBytes() < Frames.PACKET_KEY_SIZE) {
            rc.metrics().increment(RelayCounter.PACKET_TOO_SHORT);
            return;
        }
        byte[] k = keyScratch;
        NodePublicKey dk = destinationKey(p, p.readerIndex());
        RelaySession dst = rc.hub().route(dk);
        if (dst == null) {
            if (rc.hub().hooks().forward(dk, nodeKey, p)) {
                return; // held by another relay of the mesh: sent over the relay link (docs/multi-relay.md)
            }
            rc.metrics().increment(RelayCounter.PACKET_NO_DESTINATION);
            return;
        }
        Channel dc = dst.channel();
        RelaySessionHandler dh = dst instanceof RelaySessionHandler h ? h : null;
        if (!dc.isWritable() || dh != null && dh.gatheredForMe.get() > dc.bytesBeforeUnwritable()) {
            rc.metrics().increment(RelayCounter.PACKET_DESTINATION_SLOW);
            return;
        }
        nodeKey.copyTo(k, 0);
        p.setBytes(p.readerIndex(), k); // destination key -> source key, in place
        rc.metrics().increment(RelayCounter.PACKETS_RELAYED);
        rc.metrics().add(RelayCounter.BYTES_RELAYED, p.readableBytes() - Frames.PACKET_KEY_SIZE);
        // the frame leaves as it came (PACKET, flags 0, stream 0, same length: the header bytes need no rewrite), as
        // one buffer: no header buffer and no encoder work per packet
        Object out = f.retainedWire();
        if (out == null) {
            out = new RelayFrame(FrameType.PACKET, 0, p.retain());
        }
        send(dc, dh, out);
    }

    /** Writes {@code out} (a ByteBuf or a RelayFrame) to {@code dc}: now if on its loop, else gathered for the hand-over. */
    private void send(Channel dc, RelaySessionHandler dh, Object out) {
        if (dc.eventLoop().inEventLoop()) {
            dc.write(out, dc.voidPromise());
            if (!toFlush.contains(dc)) {
                toFlush.add(dc);
            }
            return;
        }
        // another event loop owns dc: a write from here would be one task per packet; gather the read burst and
        // hand it over as one task in channelReadComplete. The gathered bytes count against dc's high-water mark at
        // once (gatheredForMe, as Netty's own write task would), so the callers' check still bounds a slow receiver.
        if (dh == null) {
            dc.write(out, dc.voidPromise()); // not a relay connection (tests): Netty's own write task
            dc.flush();
            return;
        }
        dh.gatheredForMe.addAndGet(crossSize(out));
        int i = crossDst.indexOf(dh);
        if (i < 0) {
            crossDst.add(dh);
            crossFrames.add(new ArrayList<>());
            i = crossDst.size() - 1;
        }
        crossFrames.get(i).add(out);
    }

    private static long crossSize(Object f) {
        return f instanceof ByteBuf b ? b.readableBytes() : ((RelayFrame) f).content().readableBytes() + FrameHeader.SIZE;
    }

    private static void discardGathered(RelaySessionHandler dh, List<Object> frames) {
        for (Object f : frames) {
            dh.gatheredForMe.addAndGet(-crossSize(f));
            ReferenceCountUtil.release(f);
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        for (Channel c : toFlush) {
            c.flush();
        }
        toFlush.clear();
        for (int i = 0; i < crossDst.size(); i++) {
            RelaySessionHandler dh = crossDst.get(i);
            List<Object> frames = crossFrames.get(i);
            Channel c = dh.ctx.channel();
            try {
                c.eventLoop().execute(() -> {
                    for (Object f : frames) {
                        dh.gatheredForMe.addAndGet(-crossSize(f));
                        c.write(f, c.voidPromise());
                    }
                    c.flush();
                });
            } catch (RejectedExecutionException e) {
                discardGathered(dh, frames);
            }
        }
        crossDst.clear();
        crossFrames.clear();
        ctx.fireChannelReadComplete();
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (ctx.channel().isWritable() && state == State.AUTHENTICATED) {
            rc.hub().flush(peerFeed); // peer-map changes held back while the connection was not writable
        }
        ctx.fireChannelWritabilityChanged();
    }

    /**
     * Writes a frame the peer asked for (a Pong, a STREAM_RESET). Replies are small, but a peer that keeps asking and
     * never reads would grow this connection's outbound buffer without end: past {@code controlQueueLimit} unsent
     * bytes it is closed as a slow consumer instead.
     */
    private void reply(ChannelHandlerContext ctx, RelayFrame f) {
        io.netty.channel.ChannelOutboundBuffer ob = ctx.channel().unsafe().outboundBuffer();
        long pending = ob == null ? 0 : ob.totalPendingWriteBytes();
        if (pending > rc.config().controlQueueLimit()) {
            f.release();
            refuse(RelayCounter.SLOW_CONSUMER, pending + " bytes unsent: the peer asks for replies but does not read them");
            return;
        }
        ctx.writeAndFlush(f);
    }

    @Override
    public void refuse(RelayCounter reason, String detail) {
        if (!ctx.executor().inEventLoop()) {
            ctx.executor().execute(() -> refuse(reason, detail));
            return;
        }
        if (state == State.CLOSED) {
            return;
        }
        state = State.CLOSED;
        rc.metrics().increment(reason);
        log.info("{}: refused {}: {}: {}", remote(), nodeName == null ? (nodeKey == null ? "-" : nodeKey.shortString()) : nodeName,
                reason, detail);
        Channel c = ctx.channel();
        if (reason.errorCode() != null && c.isActive() && c.isWritable()) {
            c.writeAndFlush(RelayFrame.control(ControlMessage.Error.of(reason.errorCode(), detail)))
                    .addListener(ChannelFutureListener.CLOSE);
            // a peer that never reads must not keep the connection open
            ctx.executor().schedule(() -> { c.close(); }, 2, TimeUnit.SECONDS);
        } else {
            c.close();
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof IdleStateEvent) {
            idleTicks++;
            long silentMs = idleTicks * rc.config().pingInterval().toMillis();
            if (silentMs >= rc.config().deadAfter().toMillis()) {
                refuse(RelayCounter.IDLE_TIMEOUT, "nothing received for " + silentMs + " ms");
            } else if (state == State.AUTHENTICATED) {
                ctx.writeAndFlush(RelayFrame.control(new ControlMessage.Ping(++pingNonce)));
            }
            return;
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        for (int i = 0; i < crossDst.size(); i++) {
            discardGathered(crossDst.get(i), crossFrames.get(i));
        }
        crossDst.clear();
        crossFrames.clear();
        State was = state;
        state = State.CLOSED;
        rc.hub().stopFeed(this);
        if (proof != null) {
            proof.destroy();
        }
        if (authDeadline != null) {
            authDeadline.cancel(false);
        }
        if (was == State.AUTHENTICATED || was == State.CLOSED && nodeName != null) {
            try {
                rc.storeExecutor().execute(() -> rc.hub().offline(this, rc.clock().instant()).ifPresent(n -> {
                    try {
                        rc.store().updateSeen(n.nodeKey(), n.lastSeen(), n.endpoints());
                    } catch (StoreException e) {
                        log.warn("{}: store last seen: {}", n.name(), e.getMessage());
                    }
                }));
            } catch (RejectedExecutionException e) {
                // shutting down
            }
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (state != State.CLOSED) {
            state = State.CLOSED;
            rc.metrics().increment(RelayCounter.CONNECTION_ERROR);
            log.info("{}: closed {}: {}", remote(), nodeName == null ? "-" : nodeName, cause.toString());
        }
        ctx.close();
    }

    private Object remote() {
        return ctx.channel().remoteAddress();
    }
}
