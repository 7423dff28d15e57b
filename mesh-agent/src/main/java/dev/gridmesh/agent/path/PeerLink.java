package dev.gridmesh.agent.path;

import dev.gridmesh.crypto.NodePublicKey;
import dev.gridmesh.nat.classify.MappingBehavior;
import dev.gridmesh.nat.punch.PunchSession;
import dev.gridmesh.nat.stun.TransactionId;
import java.net.InetSocketAddress;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * The path state of one peer, owned by {@link PathManager}'s thread (not thread-safe; {@link #snapshot()} is what
 * other threads read).
 * <pre>
 *   RELAY --PathValidated--> DIRECT --no pong for fallbackAfter--> RELAY (re-punch at once, then with backoff)
 * </pre>
 */
final class PeerLink {
    final NodePublicKey key;
    String name = "";
    boolean online;
    /**
     * The peer's candidates for the next session: its latest call-me-maybe since it came online, plus its peer-map
     * endpoints on other addresses (the map may still hold a previous run's ports: stale ports next to fresh ones
     * on one address would look like an endpoint-dependent NAT and waste the probe budget on port prediction).
     */
    final Set<InetSocketAddress> candidates = new LinkedHashSet<>();
    java.util.List<InetSocketAddress> mapEndpoints = java.util.List.of();
    java.util.List<InetSocketAddress> cmmEndpoints;
    /** Peer-map endpoints seen with the peer's offline -> online transition (its previous run's): ignored. */
    java.util.List<InetSocketAddress> staleMap;

    void refreshCandidates() {
        candidates.clear();
        if (cmmEndpoints == null) {
            candidates.addAll(mapEndpoints);
            return;
        }
        candidates.addAll(cmmEndpoints);
        for (InetSocketAddress m : mapEndpoints) { // map endpoints on an address the call-me-maybe names: stale ports
            if (cmmEndpoints.stream().noneMatch(c -> c.getAddress().equals(m.getAddress()))) {
                candidates.add(m);
            }
        }
    }
    PunchSession session;
    /** The peer's NAT mapping behaviour, from its latest call-me-maybe. */
    MappingBehavior peerNat = MappingBehavior.UNKNOWN;
    /** Extra sockets (birthday punching) this peer holds: the current session's, and those a path may use. */
    final Set<Integer> sockets = new LinkedHashSet<>();
    /** Socket of the direct path: 0 = the WireGuard socket. */
    int directSocket;
    long lastBirthdayAt = Long.MIN_VALUE / 2;
    int birthdaySessions;
    long sessionStartedAt = Long.MIN_VALUE / 2;
    /** Validated direct endpoint in use; null = relayed. */
    InetSocketAddress direct;
    long lastPongAt;
    long nextHeartbeatAt;
    final PunchBackoff backoff;
    /** WireGuard bytes sent as of the last traffic check; traffic while relayed makes us punch again. */
    long txSeen = -1;
    /** A relayed disco ping ({@code gridmesh ping}) asked for a path: punch at the next tick if allowed. */
    boolean wantPunch;
    /** The want comes from an explicit `gridmesh ping` (rate-limited less than traffic). */
    boolean pingWantsPunch;
    /** Heartbeat pings in flight: transaction -> sent at. */
    final Map<TransactionId, Long> heartbeats = new HashMap<>();
    // statistics
    long probesBefore;     // pings of finished sessions + heartbeats
    long rttNanos;
    long onlineSinceMillis;
    long directSinceMillis;
    long relaySinceMillis;
    long firstDirectAfterMillis = -1;
    long lastFallbackAfterMillis = -1;
    int toDirect;
    int toRelay;
    int punches;
    volatile PeerPathStatus snapshot;

    PeerLink(NodePublicKey key, PunchBackoff backoff) {
        this.key = key;
        this.backoff = backoff;
    }

    boolean probing() {
        return session != null && session.state() == PunchSession.State.PROBING;
    }

    long probesSent() {
        return probesBefore + (session == null ? 0 : session.probesSent());
    }

    PeerPathStatus snapshot() {
        PeerPathStatus s = new PeerPathStatus(direct == null ? "relay" : "direct",
                direct == null ? null : direct.getAddress().getHostAddress() + ":" + direct.getPort(),
                direct == null ? 0 : rttNanos / 1000, probing(), punches, probesSent(), toDirect, toRelay,
                onlineSinceMillis, directSinceMillis, relaySinceMillis, firstDirectAfterMillis,
                candidates.stream().map(c -> c.getAddress().getHostAddress() + ":" + c.getPort()).toList());
        snapshot = s;
        return s;
    }
}
