package dev.gridmesh.nat.portmap;

import java.time.Duration;

/**
 * Retransmission schedule for one request: first timeout {@code initial}, doubling, at most {@code maxAttempts}
 * sends (RFC 6886 section 3.1 uses 250 ms doubling; RFC 6887 section 8.1.1 allows the client to bound it).
 * Not thread-safe.
 */
final class Retransmit {
    static final long IDLE = Long.MAX_VALUE;
    private final long initialNanos;
    private final int maxAttempts;
    private int attempts;
    private long deadline = IDLE;
    private long rto;

    Retransmit(Duration initial, int maxAttempts) {
        if (initial.isNegative() || initial.isZero()) {
            throw new IllegalArgumentException("initial: " + initial + " (expected: > 0)");
        }
        if (maxAttempts < 1) {
            throw new IllegalArgumentException("maxAttempts: " + maxAttempts + " (expected: >= 1)");
        }
        this.initialNanos = initial.toNanos();
        this.maxAttempts = maxAttempts;
    }

    /** Starts a request: the first send happens now. */
    void start(long now) {
        attempts = 1;
        rto = initialNanos;
        deadline = now + rto;
    }

    void stop() {
        deadline = IDLE;
    }

    boolean active() {
        return deadline != IDLE;
    }

    long deadline() {
        return deadline;
    }

    int attempts() {
        return attempts;
    }

    /** On a timeout: true to send again (and the next deadline is set), false when attempts are used up. */
    boolean onTimeout(long now) {
        if (deadline == IDLE || now - deadline < 0) {
            return false;
        }
        if (attempts >= maxAttempts) {
            deadline = IDLE;
            return false;
        }
        attempts++;
        rto *= 2;
        deadline = now + rto;
        return true;
    }

    /** True when the request is active and its deadline has passed with no attempts left. */
    boolean expired(long now) {
        return deadline != IDLE && now - deadline >= 0 && attempts >= maxAttempts;
    }
}
