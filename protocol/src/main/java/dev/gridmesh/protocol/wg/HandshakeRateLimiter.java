package dev.gridmesh.protocol.wg;

import java.net.InetAddress;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;

/**
 * Per-source-address token bucket for handshake messages under load (wireguard-go's ratelimiter: 20 per second,
 * burst 5). Thread-safe (synchronized; only the handshake path uses it, and only under load).
 */
final class HandshakeRateLimiter {
    static final long PACKETS_PER_SECOND = 20;
    static final long BURST = 5;
    private static final long PACKET_COST = 1_000_000_000L / PACKETS_PER_SECOND;
    private static final long MAX_TOKENS = PACKET_COST * BURST;

    private static final class Bucket {
        long tokens;
        long lastNanos;
    }

    private final Map<InetAddress, Bucket> buckets = new HashMap<>();

    synchronized boolean allow(InetAddress source, long nowNanos) {
        Bucket b = buckets.get(source);
        if (b == null) {
            b = new Bucket();
            b.tokens = MAX_TOKENS - PACKET_COST;
            b.lastNanos = nowNanos;
            buckets.put(source, b);
            return true;
        }
        b.tokens = Math.min(MAX_TOKENS, b.tokens + Math.max(0, nowNanos - b.lastNanos));
        b.lastNanos = nowNanos;
        if (b.tokens >= PACKET_COST) {
            b.tokens -= PACKET_COST;
            return true;
        }
        return false;
    }

    /** Forgets sources idle for over a second. */
    synchronized void expire(long nowNanos) {
        for (Iterator<Bucket> it = buckets.values().iterator(); it.hasNext();) {
            if (nowNanos - it.next().lastNanos > 1_000_000_000L) {
                it.remove();
            }
        }
    }
}
