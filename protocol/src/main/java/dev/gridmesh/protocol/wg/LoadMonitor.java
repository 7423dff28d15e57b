package dev.gridmesh.protocol.wg;

import java.net.InetAddress;

/**
 * Whether the device is under load (whitepaper §5.3): more handshake messages per second than a threshold puts it
 * under load for a second (wireguard-go's UnderLoadAfterTime), during which handshake messages need a valid mac2 and
 * each source address is rate limited. Thread-safe.
 */
final class LoadMonitor {
    /** Handshake messages per second above which the engine is under load. */
    static final int DEFAULT_THRESHOLD = 128;
    static final long UNDER_LOAD_AFTER_NANOS = 1_000_000_000L;

    private final HandshakeRateLimiter rateLimiter = new HandshakeRateLimiter();
    private long windowStart = Long.MIN_VALUE; // guarded by this
    private int windowCount; // guarded by this
    private volatile long underLoadUntil = Long.MIN_VALUE;
    private volatile int threshold = DEFAULT_THRESHOLD;
    private volatile boolean forced;

    /** Counts one handshake message; returns whether the device is now under load. */
    synchronized boolean noteHandshake(long now) {
        if (windowStart == Long.MIN_VALUE || now - windowStart >= 1_000_000_000L) {
            windowStart = now;
            windowCount = 0;
        }
        if (++windowCount > threshold) {
            underLoadUntil = now + UNDER_LOAD_AFTER_NANOS;
        }
        return isUnderLoad(now);
    }

    boolean isUnderLoad(long now) {
        long until = underLoadUntil;
        return forced || (until != Long.MIN_VALUE && now - until < 0);
    }

    /** Per-source token bucket, consulted only under load. */
    boolean allow(InetAddress source, long now) {
        return rateLimiter.allow(source, now);
    }

    void expire(long now) {
        rateLimiter.expire(now);
    }

    void setForced(boolean forced) {
        this.forced = forced;
    }

    void setThreshold(int handshakesPerSecond) {
        if (handshakesPerSecond < 1) {
            throw new IllegalArgumentException("handshakesPerSecond: " + handshakesPerSecond + " (expected: >= 1)");
        }
        this.threshold = handshakesPerSecond;
    }
}
