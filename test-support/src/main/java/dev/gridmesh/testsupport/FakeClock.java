package dev.gridmesh.testsupport;

import java.time.Duration;
import java.util.function.LongSupplier;

/**
 * A virtual monotonic clock in nanoseconds for sans-I/O engines: tests move it explicitly, nothing sleeps. It starts
 * at a large non-zero value so that code assuming "0 means never" shows up. Not thread-safe (tests drive it from one
 * thread).
 */
public final class FakeClock implements LongSupplier {
    /** The default start: one hour of uptime. */
    public static final long DEFAULT_START = Duration.ofHours(1).toNanos();

    private long nanos;

    public FakeClock() {
        this(DEFAULT_START);
    }

    public FakeClock(long startNanos) {
        this.nanos = startNanos;
    }

    /** The current time in nanoseconds (comparable only by difference, like {@link System#nanoTime()}). */
    public long nanos() {
        return nanos;
    }

    @Override
    public long getAsLong() {
        return nanos;
    }

    public long advance(Duration d) {
        return advanceNanos(d.toNanos());
    }

    public long advanceMillis(long millis) {
        return advanceNanos(millis * 1_000_000L);
    }

    public long advanceNanos(long delta) {
        if (delta < 0) {
            throw new IllegalArgumentException("delta: " + delta + " (expected: >= 0; time does not go back)");
        }
        nanos += delta;
        return nanos;
    }

    /** Moves to {@code target} if it is later; never moves back. Returns the current time. */
    public long advanceTo(long target) {
        if (target - nanos > 0) {
            nanos = target;
        }
        return nanos;
    }

    /** Nanoseconds since {@code since}, as a Duration. */
    public Duration since(long since) {
        return Duration.ofNanos(nanos - since);
    }

    @Override
    public String toString() {
        return "FakeClock[" + Duration.ofNanos(nanos - DEFAULT_START) + " after start]";
    }
}
