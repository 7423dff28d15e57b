package dev.gridmesh.agent.path;

/**
 * When to punch a relayed peer again, sans-I/O (fed {@code nowNanos}); one per peer, on the path thread (not
 * thread-safe).
 * <pre>
 *   session gave up   -> retry after min, doubling to max (a peer that cannot go direct costs little)
 *   path validated    -> delay forgotten
 *   reset: a `gridmesh ping` or WireGuard traffic for the relayed peer started a session, or the peer's endpoints
 *          changed -> the next give-up waits min again, not the doubled delay of a long outage
 * </pre>
 * On-demand sessions (traffic, ping) are rate-limited separately: an explicit ping may start one every
 * {@link #PING_MIN_NANOS}, traffic every {@code max(TRAFFIC_MIN_NANOS, delay / 2)}.
 */
final class PunchBackoff {
    static final long NONE = Long.MAX_VALUE;
    /** A `gridmesh ping` starts a session at most this often per peer. */
    static final long PING_MIN_NANOS = 1_000_000_000L;
    /** Traffic for a relayed peer starts a session at most this often per peer. */
    static final long TRAFFIC_MIN_NANOS = 3_000_000_000L;

    private final long minNanos;
    private final long maxNanos;
    private long delayNanos;
    private long nextRetryAt = NONE;
    private int resets;

    PunchBackoff(long minNanos, long maxNanos) {
        if (minNanos <= 0 || maxNanos < minNanos) {
            throw new IllegalArgumentException("retry: " + minNanos + ".." + maxNanos + " ns (expected: 0 < min <= max)");
        }
        this.minNanos = minNanos;
        this.maxNanos = maxNanos;
    }

    /** A session started: no retry is pending while it runs. */
    void sessionStarted() {
        nextRetryAt = NONE;
    }

    /** A session gave up: retry after the next delay. */
    void gaveUp(long nowNanos) {
        delayNanos = delayNanos == 0 ? minNanos : Math.min(delayNanos * 2, maxNanos);
        nextRetryAt = nowNanos + delayNanos;
    }

    /** A direct path was validated. */
    void succeeded() {
        delayNanos = 0;
        nextRetryAt = NONE;
    }

    /**
     * Fresh reasons to expect a direct path (explicit ping, traffic, the peer's endpoints changed): the delay starts
     * over, and a retry already scheduled comes no later than {@code min} from now.
     */
    void reset(long nowNanos) {
        delayNanos = 0;
        resets++;
        if (nextRetryAt != NONE && nextRetryAt - (nowNanos + minNanos) > 0) {
            nextRetryAt = nowNanos + minNanos;
        }
    }

    boolean retryDue(long nowNanos) {
        return nextRetryAt != NONE && nowNanos - nextRetryAt >= 0;
    }

    /** Whether a traffic- ({@code explicit} false) or ping-triggered ({@code explicit} true) session may start. */
    boolean onDemandAllowed(long nowNanos, long sessionStartedAt, boolean explicit) {
        long gap = explicit ? PING_MIN_NANOS : Math.max(TRAFFIC_MIN_NANOS, delayNanos / 2);
        return nowNanos - sessionStartedAt >= gap;
    }

    long delayNanos() {
        return delayNanos;
    }

    long nextRetryAt() {
        return nextRetryAt;
    }

    int resets() {
        return resets;
    }
}
