package dev.gridmesh.agent.mesh;

import java.util.List;
import java.util.Map;

/**
 * The result of the local API's {@code status} op (JSON field names = record component names; see
 * docs/local-api.md). Times are epoch milliseconds, 0 = never.
 *
 * @param self  this node
 * @param peers every peer in the relay's map, by name
 * @param relayPath counters of the relayed data path
 * @param dataPlaneDrops non-zero drop counters of the WireGuard data plane ({@code engine.<DropReason>},
 *     {@code io.<IoDrop>}), as the {@code stats} op reports them
 */
public record AgentStatus(int schemaVersion, Self self, List<Peer> peers, RelayPathStats relayPath,
        Map<String, Long> dataPlaneDrops) {
    public AgentStatus {
        peers = List.copyOf(peers);
        dataPlaneDrops = Map.copyOf(dataPlaneDrops);
    }

    /**
     * @param name        node name given by the relay (null until the first registration)
     * @param overlayIp   this node's overlay IPv4 (null until registered)
     * @param nodeKey     base64 public node key (= WireGuard public key)
     * @param relay       {@code HOST:PORT} of the relay
     * @param connection  {@code CONNECTING}, {@code CONNECTED}, {@code DISCONNECTED} or {@code STOPPED}
     * @param connectionSinceEpochMillis when the connection state last changed
     * @param lastError   why the last connection ended ("" if none did)
     * @param registrations successful registrations (1 + reconnects)
     * @param tun         TUN interface name
     */
    public record Self(String name, String overlayIp, String nodeKey, String relay, String connection,
            long connectionSinceEpochMillis, String lastError, long registrations, String tun) {
    }

    /**
     * @param path  {@code relay} or {@code direct}
     * @param latestHandshakeEpochMillis WireGuard's last completed handshake with the peer
     * @param rxBytes / txBytes WireGuard bytes from / to the peer
     * @param endpoint  the direct UDP endpoint in use ({@code ADDRESS:PORT}), null when relayed
     * @param pathInfo  path selection details (probes, switches, timings; see {@code PeerPathStatus})
     */
    public record Peer(String name, String overlayIp, String nodeKey, boolean online, String path,
            long latestHandshakeEpochMillis, long rxBytes, long txBytes, String endpoint,
            dev.gridmesh.agent.path.PeerPathStatus pathInfo) {
    }

    /** @param drops non-zero drop counters by reason ({@code RelayDrop}) */
    public record RelayPathStats(long framesSent, long bytesSent, Map<String, Long> drops) {
        public RelayPathStats {
            drops = Map.copyOf(drops);
        }
    }
}
