package dev.gridmesh.agent.path;

import java.util.List;

/**
 * One peer's path as {@code gridmesh status} shows it. Times are epoch milliseconds, 0 = never.
 *
 * @param path         {@code relay} or {@code direct}
 * @param endpoint     the direct endpoint in use ({@code ADDRESS:PORT}), null when relayed
 * @param rttMicros    disco RTT of the direct path (last heartbeat or validating pong), 0 when relayed
 * @param probing      a hole-punching session is running
 * @param punches      hole-punching sessions started
 * @param probesSent   disco pings sent to the peer's candidates in all (punching and heartbeats)
 * @param toDirect     switches relay -> direct
 * @param toRelay      switches direct -> relay (fallbacks)
 * @param onlineSinceEpochMillis when this agent saw the peer come online
 * @param directSinceEpochMillis when the current (or last) direct path was taken
 * @param relaySinceEpochMillis  when the last fallback to the relay happened
 * @param firstDirectAfterMillis from seeing the peer online to its first direct path; -1 = not yet
 * @param candidates   the peer's candidate endpoints as known here
 */
public record PeerPathStatus(String path, String endpoint, long rttMicros, boolean probing, int punches,
        long probesSent, int toDirect, int toRelay, long onlineSinceEpochMillis, long directSinceEpochMillis,
        long relaySinceEpochMillis, long firstDirectAfterMillis, List<String> candidates) {
    public static final PeerPathStatus RELAY = new PeerPathStatus("relay", null, 0, false, 0, 0, 0, 0, 0, 0, 0, -1,
            List.of());

    public PeerPathStatus {
        candidates = List.copyOf(candidates);
    }
}
