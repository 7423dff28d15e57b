package dev.gridmesh.relay.server;

import dev.gridmesh.crypto.NodePublicKey;
import dev.gridmesh.protocol.relay.ControlMessage;
import dev.gridmesh.protocol.relay.PeerInfo;
import dev.gridmesh.relay.store.NodeRecord;
import java.net.InetSocketAddress;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The registered nodes as the relay's connections see them: which are online on which connection, and their peer
 * maps. Membership changes take one lock and queue their messages while holding it, so every connection sees
 * the full map first and then the deltas in order. Packet routing ({@link #route}) takes no lock.
 *
 * <p>Thread-safe. The store stays the source of truth; this is its in-memory view, loaded at start and kept in step
 * by the callers (registration and removal run on the store thread, in order).
 */
public final class RelayHub {
    /** A node and whether it is online, for listings. */
    public record NodeView(NodeRecord node, boolean online) {}

    private final Object lock = new Object();
    private final Map<NodePublicKey, NodeRecord> nodes = new HashMap<>(); // guarded by lock
    private final ConcurrentHashMap<NodePublicKey, RelaySession> online = new ConcurrentHashMap<>(); // written under lock

    public RelayHub(List<NodeRecord> known) {
        for (NodeRecord n : known) {
            nodes.put(n.nodeKey(), n);
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
     * {@code s} authenticated as {@code n}: replaces an older connection of the same key (closed as REPLACED), sends
     * {@code s} the full peer map and tells every other online node. When {@code s} already closed, the node is
     * still recorded (and announced offline if it is new).
     */
    void online(RelaySession s, NodeRecord n, boolean created) {
        synchronized (lock) {
            NodeRecord prev = nodes.put(n.nodeKey(), n);
            boolean active = s.channel().isActive();
            if (active) {
                RelaySession old = online.put(n.nodeKey(), s);
                if (old != null && old != s) {
                    old.refuse(RelayCounter.REPLACED, "a newer connection authenticated as " + n.name());
                }
                List<PeerInfo> peers = new ArrayList<>(nodes.size());
                for (NodeRecord p : nodes.values()) {
                    if (!p.nodeKey().equals(n.nodeKey())) {
                        peers.add(info(p, online.containsKey(p.nodeKey())));
                    }
                }
                peers.sort(Comparator.comparing(PeerInfo::name));
                for (ControlMessage.PeerMap part : ControlMessage.PeerMap.split(peers)) {
                    s.sendControl(part);
                }
            }
            // a node admitted on a connection that closed at once is still registered: peers learn of it, offline
            PeerInfo me = info(n, active || online.containsKey(n.nodeKey()));
            if (created || prev == null) {
                broadcast(s, new ControlMessage.PeerAdded(me));
            } else if (active) {
                broadcast(s, new ControlMessage.PeerChanged(me));
            }
        }
    }

    /** {@code s} went away; its node shows offline to the others. Returns its node when it was the live connection. */
    Optional<NodeRecord> offline(RelaySession s, Instant now) {
        synchronized (lock) {
            if (!online.remove(s.nodeKey(), s)) {
                return Optional.empty();
            }
            NodeRecord n = nodes.get(s.nodeKey());
            if (n == null) {
                return Optional.empty();
            }
            n = n.withSeen(now, n.endpoints());
            nodes.put(n.nodeKey(), n);
            broadcast(s, new ControlMessage.PeerChanged(info(n, false)));
            return Optional.of(n);
        }
    }

    /** {@code s}'s node reported new endpoints; returns the updated record when {@code s} is its live connection. */
    Optional<NodeRecord> endpoints(RelaySession s, List<InetSocketAddress> eps, Instant now) {
        synchronized (lock) {
            if (online.get(s.nodeKey()) != s) {
                return Optional.empty();
            }
            NodeRecord n = nodes.get(s.nodeKey());
            if (n == null || n.endpoints().equals(eps)) {
                return Optional.empty();
            }
            n = n.withSeen(now, eps);
            nodes.put(n.nodeKey(), n);
            broadcast(s, new ControlMessage.PeerChanged(info(n, true)));
            return Optional.of(n);
        }
    }

    /** The node was deleted from the store: cut its connection at once and tell the others. */
    void removed(NodeRecord n) {
        synchronized (lock) {
            nodes.remove(n.nodeKey());
            RelaySession s = online.remove(n.nodeKey());
            if (s != null) {
                s.refuse(RelayCounter.NODE_REMOVED, "node " + n.name() + " was removed by an administrator");
            }
            broadcast(s, new ControlMessage.PeerRemoved(n.nodeKey()));
        }
    }

    /** All known nodes by name, with online state. */
    public List<NodeView> snapshot() {
        synchronized (lock) {
            List<NodeView> out = new ArrayList<>(nodes.size());
            for (NodeRecord n : nodes.values()) {
                out.add(new NodeView(n, online.containsKey(n.nodeKey())));
            }
            out.sort(Comparator.comparing(v -> v.node().name()));
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

    private void broadcast(RelaySession except, ControlMessage m) {
        byte[] encoded = null;
        for (RelaySession o : online.values()) {
            if (o != except) {
                if (encoded == null) {
                    encoded = m.encode();
                }
                o.sendControlEncoded(encoded);
            }
        }
    }

    static PeerInfo info(NodeRecord n, boolean isOnline) {
        List<InetSocketAddress> eps = n.endpoints().size() > PeerInfo.MAX_ENDPOINTS
                ? n.endpoints().subList(0, PeerInfo.MAX_ENDPOINTS) : n.endpoints();
        return new PeerInfo(n.name(), n.nodeKey(), List.of(n.overlayIp()), eps, isOnline);
    }
}
