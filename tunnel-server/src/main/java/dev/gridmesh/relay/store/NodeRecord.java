package dev.gridmesh.relay.store;

import dev.gridmesh.crypto.NodePublicKey;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * A registered node. Its {@code nodeKey} is its identity; {@code name} and {@code overlayIp} never change once given.
 *
 * @param lastSeen when the node was last connected (connect or disconnect time)
 * @param endpoints the UDP endpoints it last reported
 */
public record NodeRecord(NodePublicKey nodeKey, String name, InetAddress overlayIp, Set<String> tags,
                         Instant created, Instant lastSeen, List<InetSocketAddress> endpoints) {
    public NodeRecord {
        Objects.requireNonNull(nodeKey, "nodeKey");
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(overlayIp, "overlayIp");
        tags = Set.copyOf(tags);
        Objects.requireNonNull(created, "created");
        Objects.requireNonNull(lastSeen, "lastSeen");
        endpoints = List.copyOf(endpoints);
    }

    public NodeRecord withSeen(Instant seen, List<InetSocketAddress> eps) {
        return new NodeRecord(nodeKey, name, overlayIp, tags, created, seen, eps);
    }
}
