package dev.gridmesh.agent.localapi;

import java.util.List;

/**
 * The result of {@code show}: the interface and its peers, as {@code wg show} reports them. Field names are the JSON
 * names; see docs/local-api.md.
 *
 * @param iface the tunnel interface (JSON: {@code "interface"})
 */
public record ShowResponse(@com.fasterxml.jackson.annotation.JsonProperty("interface") InterfaceInfo iface,
        List<PeerInfo> peers) {
    public ShowResponse {
        peers = peers == null ? List.of() : List.copyOf(peers);
    }

    /**
     * @param name       kernel interface name
     * @param publicKey  base64, as {@code wg pubkey} prints it
     * @param listenPort the bound UDP port
     * @param addresses  interface addresses as {@code ADDR/BITS}
     * @param mtu        interface MTU
     */
    public record InterfaceInfo(String name, String publicKey, int listenPort, List<String> addresses, int mtu) {
        public InterfaceInfo {
            addresses = addresses == null ? List.of() : List.copyOf(addresses);
        }
    }

    /**
     * @param publicKey                  base64
     * @param endpoint                   {@code IP:PORT} ({@code [IPv6]:PORT}), or null when unknown
     * @param allowedIps                 prefixes as {@code ADDR/BITS}
     * @param latestHandshakeEpochMillis 0 when never
     * @param rxBytes                    bytes received from the peer (WireGuard datagrams)
     * @param txBytes                    bytes sent to the peer
     * @param persistentKeepaliveSeconds 0 = off
     * @param presharedKey               whether a pre-shared key is set (never the key itself)
     */
    public record PeerInfo(String publicKey, String endpoint, List<String> allowedIps, long latestHandshakeEpochMillis,
            long rxBytes, long txBytes, int persistentKeepaliveSeconds, boolean presharedKey) {
        public PeerInfo {
            allowedIps = allowedIps == null ? List.of() : List.copyOf(allowedIps);
        }
    }
}
