package dev.gridmesh.agent.control;

import dev.gridmesh.crypto.NodePublicKey;
import dev.gridmesh.protocol.relay.ControlMessage;
import dev.gridmesh.protocol.relay.PeerInfo;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Assembles the relay's peer map from PeerMap parts (FIRST starts a new map, LAST completes it) and applies deltas
 * to the complete map, returning what changed. Sans-I/O; not thread-safe (one per connection, fed in order).
 * Deltas before the first complete map and parts without a FIRST are ignored and counted ({@link #ignored()}).
 */
public final class PeerMapTracker {
    /** What a message changed: a complete new map, or one peer upserted/removed. */
    public sealed interface Change {
        record Full(List<PeerInfo> peers) implements Change {}
        record Upsert(PeerInfo peer) implements Change {}
        record Remove(NodePublicKey key) implements Change {}
    }

    private final Map<NodePublicKey, PeerInfo> peers = new LinkedHashMap<>();
    private List<PeerInfo> pending;
    private boolean complete;
    private long ignored;

    /** Feeds one peer-map message; returns the change it completes, or null (a part, or ignored). */
    public Change apply(ControlMessage m) {
        switch (m) {
            case ControlMessage.PeerMap pm -> {
                if (pm.first()) {
                    pending = new ArrayList<>(pm.peers());
                } else if (pending != null) {
                    pending.addAll(pm.peers());
                } else {
                    ignored++;
                    return null;
                }
                if (!pm.last()) {
                    return null;
                }
                peers.clear();
                for (PeerInfo p : pending) {
                    peers.put(p.nodeKey(), p);
                }
                pending = null;
                complete = true;
                return new Change.Full(List.copyOf(peers.values()));
            }
            case ControlMessage.PeerAdded a -> {
                return upsert(a.peer());
            }
            case ControlMessage.PeerChanged c -> {
                return upsert(c.peer());
            }
            case ControlMessage.PeerRemoved r -> {
                if (!complete) {
                    ignored++;
                    return null;
                }
                peers.remove(r.nodeKey());
                return new Change.Remove(r.nodeKey());
            }
            default -> {
                return null;
            }
        }
    }

    private Change upsert(PeerInfo p) {
        if (!complete) {
            ignored++;
            return null;
        }
        peers.put(p.nodeKey(), p);
        return new Change.Upsert(p);
    }

    public boolean complete() {
        return complete;
    }

    public List<PeerInfo> peers() {
        return List.copyOf(peers.values());
    }

    public long ignored() {
        return ignored;
    }
}
