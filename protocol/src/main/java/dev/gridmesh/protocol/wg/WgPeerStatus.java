package dev.gridmesh.protocol.wg;

import dev.gridmesh.crypto.NodePublicKey;
import dev.gridmesh.protocol.net.IpPrefix;
import java.net.InetSocketAddress;
import java.util.List;

/** Snapshot of a peer for {@code show}/{@code status}. lastHandshakeEpochMillis = 0 when never. */
public record WgPeerStatus(NodePublicKey publicKey, InetSocketAddress endpoint, List<IpPrefix> allowedIps,
        long lastHandshakeEpochMillis, long rxBytes, long txBytes, int persistentKeepaliveSeconds,
        boolean hasPresharedKey) {
}
