package dev.gridmesh.nat.stun;

import java.time.Duration;

/**
 * Retransmission settings of {@link StunClient} (RFC 8489 section 6.2.1): a request is sent at 0, RTO, 3 RTO, 7 RTO,
 * ... (RTO doubling), {@code maxRequests} times in all (Rc), then the transaction fails {@code lastWaitFactor} x RTO
 * (Rm) after the last send. The defaults (500 ms, 7, 16) give up after 39.5 s; interactive probes such as netcheck
 * use a smaller budget.
 *
 * @param software SOFTWARE attribute for requests, or null for none
 * @param fingerprint whether requests carry FINGERPRINT (helps demultiplexing on a shared socket)
 */
public record StunClientConfig(Duration initialRto, int maxRequests, int lastWaitFactor, String software, boolean fingerprint) {
    public StunClientConfig {
        if (initialRto.isNegative() || initialRto.isZero()) {
            throw new IllegalArgumentException("initialRto: " + initialRto + " (expected: > 0)");
        }
        if (maxRequests < 1 || maxRequests > 32) {
            throw new IllegalArgumentException("maxRequests: " + maxRequests + " (expected: 1..32)");
        }
        if (lastWaitFactor < 1 || lastWaitFactor > 64) {
            throw new IllegalArgumentException("lastWaitFactor: " + lastWaitFactor + " (expected: 1..64)");
        }
    }

    /** RFC 8489 defaults: RTO 500 ms, Rc 7, Rm 16, with FINGERPRINT. */
    public static StunClientConfig rfcDefaults() {
        return new StunClientConfig(Duration.ofMillis(500), 7, 16, null, true);
    }

    /** A budget for interactive checks: 500 ms doubling, 3 requests, fail 2 RTO after the last (2.5 s in all). */
    public static StunClientConfig interactive() {
        return new StunClientConfig(Duration.ofMillis(500), 3, 2, null, true);
    }

    /** Total time before a transaction that gets no answer fails. */
    public Duration timeout() {
        long rto = initialRto.toNanos();
        long t = 0;
        for (int i = 1; i < maxRequests; i++) {
            t += rto << (i - 1);
        }
        return Duration.ofNanos(t + rto * lastWaitFactor);
    }
}
