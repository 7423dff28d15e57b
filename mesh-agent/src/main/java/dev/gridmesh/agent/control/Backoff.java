package dev.gridmesh.agent.control;

import java.time.Duration;
import java.util.Objects;
import java.util.random.RandomGenerator;

/**
 * Reconnect delays: exponential from {@code initial}, doubled per failure, capped at {@code max}, with "equal jitter"
 * (a delay {@code d} becomes uniform in {@code [d/2, d]}) so that agents cut off together do not return together.
 * {@link #reset()} after a connection that got as far as registration. Sans-I/O: randomness injected. Not thread-safe.
 */
public final class Backoff {
    /** The cap on the delay between reconnect attempts. */
    public static final Duration MAX = Duration.ofSeconds(30);

    private final long initialNanos;
    private final long maxNanos;
    private final RandomGenerator random;
    private int failures;

    public Backoff(Duration initial, Duration max, RandomGenerator random) {
        this.initialNanos = initial.toNanos();
        this.maxNanos = max.toNanos();
        this.random = Objects.requireNonNull(random, "random");
        if (initialNanos <= 0 || maxNanos < initialNanos) {
            throw new IllegalArgumentException("backoff " + initial + ".." + max + " (expected: 0 < initial <= max)");
        }
    }

    /** The standard agent backoff: 500 ms doubling up to 30 s. */
    public static Backoff standard(RandomGenerator random) {
        return new Backoff(Duration.ofMillis(500), MAX, random);
    }

    /** The delay before the next attempt, and counts one more failure. */
    public long nextDelayNanos() {
        long d = failures >= 62 ? maxNanos : Math.min(maxNanos, initialNanos << Math.min(failures, 40));
        if (d < 0 || d > maxNanos) {
            d = maxNanos;
        }
        failures++;
        long half = d / 2;
        return half + random.nextLong(d - half + 1);
    }

    public int failures() {
        return failures;
    }

    public void reset() {
        failures = 0;
    }
}
