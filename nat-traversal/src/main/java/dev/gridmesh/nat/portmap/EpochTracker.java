package dev.gridmesh.nat.portmap;

/**
 * Detects a gateway that lost its mapping state from the epoch time in its responses (RFC 6887 section 8.5, which
 * refines RFC 6886 section 3.6): the server's clock must advance like ours, within 1/16 plus 2 seconds of slack.
 * Not thread-safe.
 */
final class EpochTracker {
    private boolean known;
    private long prevServer;
    private long prevClientNanos;

    /** Records one response; true when it shows that the server lost its state since the previous one. */
    boolean update(long serverEpochSeconds, long nowNanos) {
        boolean lost = false;
        if (known) {
            if (serverEpochSeconds + 1 < prevServer) {
                lost = true;
            } else {
                long deltaClient = (nowNanos - prevClientNanos) / 1_000_000_000L;
                long deltaServer = serverEpochSeconds - prevServer;
                lost = deltaClient + 2 < deltaServer - deltaServer / 16
                        || deltaServer + 2 < deltaClient - deltaClient / 16;
            }
        }
        known = true;
        prevServer = serverEpochSeconds;
        prevClientNanos = nowNanos;
        return lost;
    }

    void reset() {
        known = false;
    }
}
