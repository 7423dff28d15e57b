package dev.gridmesh.cli.wgquick;

import dev.gridmesh.protocol.wg.WgTimers;
import java.time.Duration;
import picocli.CommandLine.Option;

/**
 * Hidden, test-only overrides of the WireGuard protocol timers (whitepaper section 6.1), so that integration tests
 * can force a rekey in seconds. Unset options keep {@link WgTimers#standard()}. Never needed in production.
 */
final class TimerOptions {
    @Option(names = "--rekey-after-time", hidden = true, converter = DurationConverter.class,
            description = "REKEY_AFTER_TIME (default 120s).")
    Duration rekeyAfterTime;

    @Option(names = "--reject-after-time", hidden = true, converter = DurationConverter.class,
            description = "REJECT_AFTER_TIME (default 180s).")
    Duration rejectAfterTime;

    @Option(names = "--rekey-attempt-time", hidden = true, converter = DurationConverter.class,
            description = "REKEY_ATTEMPT_TIME (default 90s).")
    Duration rekeyAttemptTime;

    @Option(names = "--rekey-timeout", hidden = true, converter = DurationConverter.class,
            description = "REKEY_TIMEOUT (default 5s).")
    Duration rekeyTimeout;

    @Option(names = "--keepalive-timeout", hidden = true, converter = DurationConverter.class,
            description = "KEEPALIVE_TIMEOUT (default 10s).")
    Duration keepaliveTimeout;

    @Option(names = "--cookie-refresh-time", hidden = true, converter = DurationConverter.class,
            description = "COOKIE_REFRESH_TIME (default 120s).")
    Duration cookieRefreshTime;

    @Option(names = "--rekey-after-messages", hidden = true, description = "REKEY_AFTER_MESSAGES (default 2^60).")
    Long rekeyAfterMessages;

    @Option(names = "--reject-after-messages", hidden = true,
            description = "REJECT_AFTER_MESSAGES (default 2^64-2^13-1, capped).")
    Long rejectAfterMessages;

    /** The standard timers with the given overrides; throws IllegalArgumentException naming a bad combination. */
    WgTimers timers() {
        WgTimers s = WgTimers.standard();
        return new WgTimers(
                rekeyAfterMessages != null ? rekeyAfterMessages : s.rekeyAfterMessages(),
                rejectAfterMessages != null ? rejectAfterMessages : s.rejectAfterMessages(),
                rekeyAfterTime != null ? rekeyAfterTime : s.rekeyAfterTime(),
                rejectAfterTime != null ? rejectAfterTime : s.rejectAfterTime(),
                rekeyAttemptTime != null ? rekeyAttemptTime : s.rekeyAttemptTime(),
                rekeyTimeout != null ? rekeyTimeout : s.rekeyTimeout(),
                keepaliveTimeout != null ? keepaliveTimeout : s.keepaliveTimeout(),
                cookieRefreshTime != null ? cookieRefreshTime : s.cookieRefreshTime());
    }

    boolean anySet() {
        return rekeyAfterTime != null || rejectAfterTime != null || rekeyAttemptTime != null || rekeyTimeout != null
                || keepaliveTimeout != null || cookieRefreshTime != null || rekeyAfterMessages != null
                || rejectAfterMessages != null;
    }
}
