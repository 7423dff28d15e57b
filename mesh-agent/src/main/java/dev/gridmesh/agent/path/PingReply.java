package dev.gridmesh.agent.path;

/**
 * One disco ping of {@code gridmesh ping}.
 *
 * @param seq       1, 2, ...
 * @param path      {@code direct} or {@code relay}
 * @param endpoint  the direct endpoint pinged, null via the relay
 * @param rttMillis round trip, -1 on timeout
 */
public record PingReply(int seq, String path, String endpoint, double rttMillis) {
}
