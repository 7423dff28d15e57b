package dev.gridmesh.agent.dataplane;

import dev.gridmesh.crypto.NodePublicKey;
import dev.gridmesh.protocol.net.IpPrefix;
import dev.gridmesh.protocol.wg.WgPeerStatus;
import java.util.List;
import java.util.Map;

/**
 * A snapshot of a running data plane.
 *
 * @param drops non-zero drop counters by reason: {@code engine.<DropReason>} from the WireGuard engine and
 *              {@code io.<IoDrop>} from the I/O around it
 * @param transport {@code epoll} or {@code nio}
 */
public record DataPlaneStatus(String interfaceName, NodePublicKey publicKey, int listenPort, List<IpPrefix> addresses,
        int mtu, List<WgPeerStatus> peers, Map<String, Long> drops, String transport) {
    public DataPlaneStatus {
        addresses = List.copyOf(addresses);
        peers = List.copyOf(peers);
        drops = Map.copyOf(drops);
    }
}
