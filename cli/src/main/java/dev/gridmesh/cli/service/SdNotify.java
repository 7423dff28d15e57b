package dev.gridmesh.cli.service;

import java.io.IOException;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * sd_notify(3) without libsystemd: {@code READY=1}, {@code STATUS=...}, {@code WATCHDOG=1}, {@code STOPPING=1}
 * sent as datagrams to {@code $NOTIFY_SOCKET} (a path, or {@code @name} in the abstract namespace).
 * Failures are logged at debug and never stop the daemon (systemd may have gone away).
 */
public final class SdNotify {
    private static final Logger log = LoggerFactory.getLogger(SdNotify.class);

    private final String socket;
    private final Duration watchdog;

    SdNotify(String socket, Duration watchdog) {
        this.socket = Objects.requireNonNull(socket, "socket");
        this.watchdog = watchdog;
    }

    /**
     * From the service manager's environment: present when {@code NOTIFY_SOCKET} is set. The watchdog interval is
     * {@code WATCHDOG_USEC}, honoured only when {@code WATCHDOG_PID} is unset or this process's pid.
     */
    public static Optional<SdNotify> fromEnvironment(Map<String, String> env) {
        String s = env.get("NOTIFY_SOCKET");
        if (s == null || s.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(new SdNotify(s, watchdogInterval(env, ProcessHandle.current().pid())));
    }

    /** {@code WATCHDOG_USEC} as a duration, or null when unset, invalid or meant for another pid. */
    static Duration watchdogInterval(Map<String, String> env, long pid) {
        String usec = env.get("WATCHDOG_USEC");
        if (usec == null) {
            return null;
        }
        String wpid = env.get("WATCHDOG_PID");
        try {
            if (wpid != null && !wpid.isEmpty() && Long.parseLong(wpid.strip()) != pid) {
                return null;
            }
            long us = Long.parseLong(usec.strip());
            return us > 0 ? Duration.ofNanos(us * 1000) : null;
        } catch (NumberFormatException e) {
            return null;
        }
    }

    public String socket() {
        return socket;
    }

    /** The watchdog timeout systemd enforces, if any; ping at half of it. */
    public Optional<Duration> watchdog() {
        return Optional.ofNullable(watchdog);
    }

    /** Sends newline-separated assignments ({@code READY=1\nSTATUS=...}); false when it could not be sent. */
    public boolean send(String assignments) {
        try {
            UnixDatagram.send(socket, assignments);
            return true;
        } catch (IOException | RuntimeException e) {
            log.debug("sd_notify {}: {}", socket, e.getMessage());
            return false;
        }
    }
}
