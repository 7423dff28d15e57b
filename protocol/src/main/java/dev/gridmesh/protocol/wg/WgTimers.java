package dev.gridmesh.protocol.wg;

import java.time.Duration;
import java.util.Objects;

/**
 * Protocol constants (WireGuard whitepaper §6.1), overridable for tests (short rekey timers in integration tests).
 *
 * @param rekeyAfterMessages  initiator re-handshakes after sending this many messages on a session
 * @param rejectAfterMessages a session never sends or accepts a counter at or beyond this
 * @param rekeyAfterTime      initiator re-handshakes when its session is this old and it sends
 * @param rejectAfterTime     a session is unusable after this age; keys are zeroed after 3 times it
 * @param rekeyAttemptTime    retries of a handshake give up after this long
 * @param rekeyTimeout        retry interval of an unanswered initiation (plus up to 333 ms jitter), and the minimum
 *                            interval between two initiations to one peer
 * @param keepaliveTimeout    passive keepalive after receiving data without sending any
 * @param cookieRefreshTime   lifetime of a cookie and of the responder's cookie secret
 */
public record WgTimers(long rekeyAfterMessages, long rejectAfterMessages, Duration rekeyAfterTime,
        Duration rejectAfterTime, Duration rekeyAttemptTime, Duration rekeyTimeout, Duration keepaliveTimeout,
        Duration cookieRefreshTime) {

    /** Maximum jitter added to handshake retries ({@code REKEY_TIMEOUT_JITTER_MAX}). */
    public static final Duration REKEY_TIMEOUT_JITTER_MAX = Duration.ofMillis(333);

    public WgTimers {
        Objects.requireNonNull(rekeyAfterTime, "rekeyAfterTime");
        Objects.requireNonNull(rejectAfterTime, "rejectAfterTime");
        Objects.requireNonNull(rekeyAttemptTime, "rekeyAttemptTime");
        Objects.requireNonNull(rekeyTimeout, "rekeyTimeout");
        Objects.requireNonNull(keepaliveTimeout, "keepaliveTimeout");
        Objects.requireNonNull(cookieRefreshTime, "cookieRefreshTime");
        if (rekeyAfterMessages <= 0 || rejectAfterMessages <= 0) {
            throw new IllegalArgumentException("message limits must be positive");
        }
    }

    /** The whitepaper's values: 2^60, 2^64-2^13-1 (capped to Long.MAX_VALUE), 120 s, 180 s, 90 s, 5 s, 10 s, 120 s. */
    public static WgTimers standard() {
        return new WgTimers(1L << 60, Long.MAX_VALUE /* 2^64-2^13-1 does not fit a signed long */,
                Duration.ofSeconds(120), Duration.ofSeconds(180), Duration.ofSeconds(90), Duration.ofSeconds(5),
                Duration.ofSeconds(10), Duration.ofSeconds(120));
    }
}
