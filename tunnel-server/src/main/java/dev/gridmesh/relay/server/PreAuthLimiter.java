package dev.gridmesh.relay.server;

import java.net.InetAddress;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Caps connections that have not authenticated yet (TLS handshake, HTTP upgrade, registration): in total and per
 * source address, so that a flood of half-open connections cannot hold unbounded memory. A connection holds one
 * permit from accept until it authenticates or closes. Thread-safe.
 */
final class PreAuthLimiter {
    private final int maxTotal;
    private final int maxPerAddress;
    private final AtomicInteger total = new AtomicInteger();
    private final ConcurrentHashMap<InetAddress, AtomicInteger> perAddress = new ConcurrentHashMap<>();

    PreAuthLimiter(int maxTotal, int maxPerAddress) {
        this.maxTotal = maxTotal;
        this.maxPerAddress = maxPerAddress;
    }

    /** Takes a permit for {@code from}; false (nothing taken) when a limit is reached. */
    boolean tryAcquire(InetAddress from) {
        if (total.incrementAndGet() > maxTotal) {
            total.decrementAndGet();
            return false;
        }
        boolean[] ok = {true};
        perAddress.compute(from, (k, n) -> {
            AtomicInteger c = n == null ? new AtomicInteger() : n;
            if (c.get() >= maxPerAddress) {
                ok[0] = false;
            } else {
                c.incrementAndGet();
            }
            return c.get() == 0 ? null : c;
        });
        if (!ok[0]) {
            total.decrementAndGet();
        }
        return ok[0];
    }

    void release(InetAddress from) {
        total.decrementAndGet();
        perAddress.computeIfPresent(from, (k, c) -> c.decrementAndGet() <= 0 ? null : c);
    }

    int inUse() {
        return total.get();
    }
}
