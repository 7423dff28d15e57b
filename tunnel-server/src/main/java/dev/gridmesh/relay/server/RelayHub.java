package dev.gridmesh.relay.server;

import dev.gridmesh.crypto.NodePublicKey;
import dev.gridmesh.protocol.relay.ControlMessage;
import dev.gridmesh.protocol.relay.FrameHeader;
import dev.gridmesh.protocol.relay.FrameType;
import dev.gridmesh.protocol.relay.PeerInfo;
import dev.gridmesh.relay.store.NodeRecord;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.util.concurrent.EventExecutor;
import java.net.InetSocketAddress;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * The registered nodes as the relay's connections see them: which are online on which connection, and their peer
 * maps. Packet routing ({@link #route}) takes no lock.
 *
 * <p>Peer-map fan-out (docs/relay-protocol.md, "Peer-map fan-out"): a membership change takes the lock, updates the
 * node and appends one delta, encoded once, to the shared {@link PeerLog}; it then wakes each event loop once
 * ({@link LoopFeeds}). A connection holds only a cursor into the log ({@link PeerFeed}): on its event loop it gets
 * its full map (built under the lock from each node's cached peer bytes, which fixes its cursor at the log's end)
 * and from then on every later delta in log order, many per write, and only while its channel is writable. A
 * connection that falls behind the log's start is sent a fresh full map instead of being buffered for. So a joining
 * node costs one log entry and one wake-up per loop, not one message per online connection.
 *
 * <p>Peers are advertised with endpoints only while online: when a node goes offline the others are told so with no
 * endpoints (they must not keep punching dead addresses). The store still keeps the last endpoints it reported, for
 * the operator's listing ({@link #snapshot}).
 *
 * <p>Thread-safe. The store stays the source of truth; this is its in-memory view, loaded at start and kept in step
 * by the callers (registration and removal run on the store thread, in order).
 */
public final class RelayHub {
    /** A node and whether it is online, for listings. */
    public record NodeView(NodeRecord node, boolean online) {}

    /** A node and the bytes the peer maps carry for it now ({@link PeerInfo#encode()}). */
    private record Peer(NodeRecord node, byte[] info) {}

    static final int DEFAULT_LOG_CAPACITY = 8192;
    /** Bytes of deltas gathered into one write. */
    static final int BATCH_BYTES = 64 * 1024;
    private static final Comparator<Peer> BY_NAME = Comparator.comparing((Peer p) -> p.node().name())
            .thenComparing((a, b) -> Arrays.compare(a.node().nodeKey().toBytes(), b.node().nodeKey().toBytes()));

    private final Object lock = new Object();
    private final Map<NodePublicKey, Peer> nodes = new HashMap<>(); // guarded by lock
    private final TreeSet<Peer> byName = new TreeSet<>(BY_NAME); // guarded by lock; full maps go out in name order
    private long infoBytes; // guarded by lock: sum of the peers' info lengths, to size full maps
    private final ConcurrentHashMap<NodePublicKey, RelaySession> online = new ConcurrentHashMap<>(); // written under lock
    /** Other relays of the mesh (docs/multi-relay.md); {@link ClusterHooks#NONE} for a relay on its own. */
    private volatile ClusterHooks hooks = ClusterHooks.NONE;
    private final java.util.Set<NodePublicKey> elsewhere = new java.util.HashSet<>(); // guarded by lock: online at another relay
    private final PeerLog log;
    private final ConcurrentHashMap<EventExecutor, LoopFeeds> loops = new ConcurrentHashMap<>();
    private final LongAdder fullMaps = new LongAdder();
    private final LongAdder fullMapsBehind = new LongAdder();
    private final LongAdder deltaWrites = new LongAdder();
    private final LongAdder deltasSent = new LongAdder();

    public RelayHub(List<NodeRecord> known) {
        this(known, DEFAULT_LOG_CAPACITY);
    }

    /** @param logCapacity deltas kept for connections that are behind (a power of two) */
    RelayHub(List<NodeRecord> known, int logCapacity) {
        log = new PeerLog(logCapacity);
        for (NodeRecord n : known) {
            put(n, false);
        }
    }

    /** The live connection of {@code key}, or null. */
    RelaySession route(NodePublicKey key) {
        return online.get(key);
    }

    public int onlineCount() {
        return online.size();
    }

    /**
     * Bytes waiting in the outbound buffers of the online agents' connections, read at call time (metrics):
     * {@code [sum, max]} over the connections.
     */
    public long[] queuedBytes() {
        long sum = 0;
        long max = 0;
        for (RelaySession s : online.values()) {
            io.netty.channel.ChannelOutboundBuffer ob = s.channel().unsafe().outboundBuffer();
            long n = ob == null ? 0 : ob.totalPendingWriteBytes();
            sum += n;
            max = Math.max(max, n);
        }
        return new long[] {sum, max};
    }

    /**
     * Fan-out counters: {@code [full maps sent, of which because the connection fell behind the log, delta writes,
     * deltas sent]}; deltas / writes is the batching factor.
     */
    public long[] fanoutCounts() {
        return new long[] {fullMaps.sum(), fullMapsBehind.sum(), deltaWrites.sum(), deltasSent.sum()};
    }

    /**
     * {@code s} authenticated as {@code n}: replaces an older connection of the same key (closed as REPLACED) and
     * tells every other node. The caller then starts feeding {@code s} its map ({@link #startFeed}) on its event
     * loop. When {@code s} already closed, the node is still recorded (and announced offline if it is new).
     */
    void online(RelaySession s, NodeRecord n, boolean created) {
        synchronized (lock) {
            boolean active = s.channel().isActive();
            if (active) {
                RelaySession old = online.put(n.nodeKey(), s);
                if (old != null && old != s) {
                    old.refuse(RelayCounter.REPLACED, "a newer connection authenticated as " + n.name());
                }
            }
            // a node admitted on a connection that closed at once is still registered: peers learn of it, offline
            Peer prev = nodes.get(n.nodeKey());
            Peer me = put(n, active || online.containsKey(n.nodeKey()));
            PeerInfo info = info(n, active || online.containsKey(n.nodeKey()));
            if (created || prev == null) {
                append(me, new ControlMessage.PeerAdded(info));
            } else if (active) {
                append(me, new ControlMessage.PeerChanged(info));
            }
            if (active) {
                elsewhere.remove(n.nodeKey());
                hooks.online(n);
            }
        }
    }

    /** {@code s} went away; its node shows offline, with no endpoints, to the others. Returns its node when it was the live connection. */
    Optional<NodeRecord> offline(RelaySession s, Instant now) {
        synchronized (lock) {
            if (!online.remove(s.nodeKey(), s)) {
                return Optional.empty();
            }
            Peer p = nodes.get(s.nodeKey());
            if (p == null) {
                return Optional.empty();
            }
            NodeRecord n = p.node().withSeen(now, p.node().endpoints()); // the store keeps the last endpoints
            hooks.offline(n);
            boolean there = elsewhere.contains(n.nodeKey()); // it moved to another relay of the mesh
            append(put(n, there), new ControlMessage.PeerChanged(info(n, there)));
            return Optional.of(n);
        }
    }

    /** {@code s}'s node reported new endpoints; returns the updated record when {@code s} is its live connection. */
    Optional<NodeRecord> endpoints(RelaySession s, List<InetSocketAddress> eps, Instant now) {
        synchronized (lock) {
            if (online.get(s.nodeKey()) != s) {
                return Optional.empty();
            }
            Peer p = nodes.get(s.nodeKey());
            if (p == null || p.node().endpoints().equals(eps)) {
                return Optional.empty();
            }
            NodeRecord n = p.node().withSeen(now, eps);
            append(put(n, true), new ControlMessage.PeerChanged(info(n, true)));
            return Optional.of(n);
        }
    }

    /** The node was deleted from the store: cut its connection at once and tell the others. */
    void removed(NodeRecord n) {
        synchronized (lock) {
            Peer p = nodes.remove(n.nodeKey());
            if (p != null) {
                byName.remove(p);
                infoBytes -= p.info().length;
            }
            elsewhere.remove(n.nodeKey());
            RelaySession s = online.remove(n.nodeKey());
            if (s != null) {
                s.refuse(RelayCounter.NODE_REMOVED, "node " + n.name() + " was removed by an administrator");
            }
            log.append(n.nodeKey(), new ControlMessage.PeerRemoved(n.nodeKey()));
            wakeAll();
        }
    }

    /** Sets what is asked of the other relays of the mesh ({@link ClusterHooks#NONE} for a relay on its own). */
    public void hooks(ClusterHooks h) {
        hooks = java.util.Objects.requireNonNull(h, "hooks");
    }

    /** What is asked of the other relays of the mesh ({@link ClusterHooks#NONE} for a relay on its own). */
    public ClusterHooks hooks() {
        return hooks;
    }

    /**
     * Cluster (docs/multi-relay.md): {@code n} as the shared store shows it, connected to another relay
     * ({@code onlineElsewhere}) or to none; the nodes connected here are told what changed. A node connected here
     * stays as it is, unless it is now online elsewhere: it connected to another relay later, and this connection is
     * closed (REPLACED).
     */
    public void remote(NodeRecord n, boolean onlineElsewhere) {
        synchronized (lock) {
            NodePublicKey key = n.nodeKey();
            RelaySession here = online.get(key);
            if (here != null) {
                if (!onlineElsewhere) {
                    return;
                }
                online.remove(key, here);
                here.refuse(RelayCounter.REPLACED, "node " + n.name() + " connected to another relay of the mesh");
            }
            if (onlineElsewhere) {
                elsewhere.add(key);
            } else {
                elsewhere.remove(key);
            }
            Peer prev = nodes.get(key);
            Peer p = put(n, onlineElsewhere);
            if (prev == null) {
                append(p, new ControlMessage.PeerAdded(info(n, onlineElsewhere)));
            } else if (!Arrays.equals(prev.info(), p.info())) {
                append(p, new ControlMessage.PeerChanged(info(n, onlineElsewhere)));
            }
        }
    }

    /** Cluster: the node was deleted through another relay: as {@link #removed}, when this relay knows it. */
    public void remoteRemoved(NodePublicKey key) {
        synchronized (lock) {
            Peer p = nodes.get(key);
            if (p != null) {
                removed(p.node());
            }
        }
    }

    /** All known nodes by name, with online state. */
    public List<NodeView> snapshot() {
        synchronized (lock) {
            List<NodeView> out = new ArrayList<>(byName.size());
            for (Peer p : byName) {
                NodePublicKey k = p.node().nodeKey();
                out.add(new NodeView(p.node(), online.containsKey(k) || elsewhere.contains(k)));
            }
            return out;
        }
    }

    /** Closes every connection (relay shutting down). */
    void closeAll(RelayCounter reason, String detail) {
        synchronized (lock) {
            for (RelaySession s : online.values()) {
                s.refuse(reason, detail);
            }
        }
    }

    /**
     * On {@code s}'s event loop, after its RegisterOk: starts feeding it, beginning with its full map (written now).
     * Nothing when {@code s} closed or is no longer its node's live connection.
     */
    void startFeed(RelaySession s) {
        PeerFeed f = s.peerFeed();
        Channel c = s.channel();
        if (f.loop != null || !c.isActive() || online.get(s.nodeKey()) != s) {
            return;
        }
        loops.computeIfAbsent(c.eventLoop(), l -> new LoopFeeds(l, this)).add(f);
        f.cursor = PeerFeed.FULL_MAP;
        flush(f);
    }

    /** On {@code s}'s event loop, when its channel closed: stops feeding it. */
    void stopFeed(RelaySession s) {
        LoopFeeds lf = s.peerFeed().loop;
        if (lf != null && lf.remove(s.peerFeed())) {
            loops.remove(lf.loop(), lf);
        }
    }

    /**
     * On the feed's event loop: writes it what it is missing while its channel is writable (the rest when it is
     * writable again: {@link RelaySessionHandler#channelWritabilityChanged}). A full map first when one is due.
     */
    void flush(PeerFeed f) {
        Channel c = f.session.channel();
        if (f.loop == null || !c.isActive()) {
            return;
        }
        NodePublicKey self = f.session.nodeKey();
        while (c.isWritable()) {
            if (f.cursor == PeerFeed.FULL_MAP) {
                writeFullMap(f, c);
                continue;
            }
            long end = log.next();
            if (f.cursor >= end) {
                return;
            }
            ByteBuf batch = null;
            long seq = f.cursor;
            int n = 0;
            for (; seq < end; seq++) {
                PeerLog.Entry e = log.get(seq);
                if (e == null) {
                    break; // overwritten: fell behind
                }
                if (!e.subject().equals(self)) {
                    if (batch == null) {
                        batch = c.alloc().buffer((int) Math.min(BATCH_BYTES + 1024, (end - seq) * e.frame().length + 64));
                    }
                    batch.writeBytes(e.frame());
                    n++;
                    if (batch.readableBytes() >= BATCH_BYTES) {
                        seq++;
                        break;
                    }
                }
            }
            if (seq < end && log.get(seq) == null) {
                if (batch != null) {
                    batch.release();
                }
                fullMapsBehind.increment();
                f.cursor = PeerFeed.FULL_MAP;
                continue;
            }
            f.cursor = seq;
            if (batch != null) {
                deltaWrites.increment();
                deltasSent.add(n);
                c.writeAndFlush(batch, c.voidPromise());
            }
        }
    }

    /** The full map of {@code f}'s node (all others, by name) as PeerMap frames; moves its cursor to the log's end. */
    private void writeFullMap(PeerFeed f, Channel c) {
        ByteBuf buf;
        synchronized (lock) {
            Peer me = nodes.get(f.session.nodeKey());
            int total = nodes.size() - (me == null ? 0 : 1);
            int parts = Math.max(1, (total + ControlMessage.PeerMap.MAX_PEERS_PER_MESSAGE - 1) / ControlMessage.PeerMap.MAX_PEERS_PER_MESSAGE);
            buf = c.alloc().buffer((int) Math.min(Integer.MAX_VALUE, infoBytes + parts * (FrameHeader.SIZE + 4L)));
            Iterator<Peer> it = byName.iterator();
            byte[] header = new byte[FrameHeader.SIZE];
            int left = total;
            boolean first = true;
            do {
                int count = Math.min(left, ControlMessage.PeerMap.MAX_PEERS_PER_MESSAGE);
                int at = buf.writerIndex();
                buf.writerIndex(at + FrameHeader.SIZE);
                buf.writeBytes(ControlMessage.PeerMap.partHeader(first, count == left, count));
                for (int i = 0; i < count; ) {
                    Peer p = it.next();
                    if (p != me) {
                        buf.writeBytes(p.info());
                        i++;
                    }
                }
                FrameHeader.of(FrameType.CONTROL, buf.writerIndex() - at - FrameHeader.SIZE).encode(header, 0);
                buf.setBytes(at, header);
                left -= count;
                first = false;
            } while (left > 0);
            f.cursor = log.next();
        }
        fullMaps.increment();
        c.writeAndFlush(buf, c.voidPromise());
    }

    /** Records {@code n} with its advertised bytes; under the lock. */
    private Peer put(NodeRecord n, boolean isOnline) {
        Peer p = new Peer(n, info(n, isOnline).encode());
        Peer prev = nodes.put(n.nodeKey(), p);
        if (prev != null) {
            byName.remove(prev);
            infoBytes -= prev.info().length;
        }
        byName.add(p);
        infoBytes += p.info().length;
        return p;
    }

    /** Under the lock. */
    private void append(Peer subject, ControlMessage m) {
        log.append(subject.node().nodeKey(), m);
        wakeAll();
    }

    private void wakeAll() {
        for (LoopFeeds lf : loops.values()) {
            lf.wake();
        }
    }

    /** What the others are told about {@code n}: its endpoints only while it is online. */
    static PeerInfo info(NodeRecord n, boolean isOnline) {
        List<InetSocketAddress> eps = !isOnline ? List.of()
                : n.endpoints().size() > PeerInfo.MAX_ENDPOINTS ? n.endpoints().subList(0, PeerInfo.MAX_ENDPOINTS) : n.endpoints();
        return new PeerInfo(n.name(), n.nodeKey(), List.of(n.overlayIp()), eps, isOnline);
    }
}
