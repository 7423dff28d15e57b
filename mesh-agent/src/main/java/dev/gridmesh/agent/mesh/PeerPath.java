package dev.gridmesh.agent.mesh;

/**
 * Where a peer's WireGuard datagrams go. Today every peer is {@link #RELAY}; direct paths (next issue) switch a peer
 * to {@link #DIRECT} by clearing its data-plane sender and setting its endpoint: the WireGuard session is unchanged.
 */
public enum PeerPath {
    /** PACKET frames on the relay connection, addressed by node key. */
    RELAY,
    /** Straight out of the agent's UDP socket to a validated endpoint. */
    DIRECT;

    public String label() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
