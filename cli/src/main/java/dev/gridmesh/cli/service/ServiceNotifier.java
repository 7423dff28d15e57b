package dev.gridmesh.cli.service;

import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * What a daemon tells systemd: {@code READY=1} once it serves, a {@code STATUS=} line whenever its state text
 * changes (checked every {@value #STATUS_POLL_MILLIS} ms or at half the watchdog interval, whichever is shorter),
 * {@code WATCHDOG=1} at half of {@code WATCHDOG_USEC} while the state supplier answers, {@code STOPPING=1} on stop.
 * Without {@code NOTIFY_SOCKET} every method does nothing. Thread-safe.
 */
public final class ServiceNotifier implements AutoCloseable {
    static final long STATUS_POLL_MILLIS = 2000;

    private final SdNotify sd;
    private ScheduledExecutorService timer;
    private String lastStatus;

    ServiceNotifier(SdNotify sd) {
        this.sd = sd;
    }

    /** From the process environment ({@code NOTIFY_SOCKET}, {@code WATCHDOG_USEC}, {@code WATCHDOG_PID}). */
    public static ServiceNotifier fromEnvironment() {
        return fromEnvironment(System.getenv());
    }

    public static ServiceNotifier fromEnvironment(Map<String, String> env) {
        return new ServiceNotifier(SdNotify.fromEnvironment(env).orElse(null));
    }

    public boolean active() {
        return sd != null;
    }

    /**
     * Tells systemd the daemon is ready and starts the status/watchdog timer. {@code state} is read on the timer
     * thread: it must be cheap and thread-safe; when it throws, no watchdog ping is sent.
     */
    public synchronized void ready(Supplier<String> state) {
        Objects.requireNonNull(state, "state");
        if (sd == null) {
            return;
        }
        lastStatus = oneLine(state.get());
        sd.send("READY=1\nSTATUS=" + lastStatus);
        long period = STATUS_POLL_MILLIS;
        Optional<Duration> wd = sd.watchdog();
        if (wd.isPresent()) {
            period = Math.max(1, Math.min(period, wd.get().toMillis() / 2));
            sd.send("WATCHDOG=1");
        }
        if (timer == null) {
            timer = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "sd-notify");
                t.setDaemon(true);
                return t;
            });
            boolean watchdog = wd.isPresent();
            timer.scheduleAtFixedRate(() -> tick(state, watchdog), period, period, TimeUnit.MILLISECONDS);
        }
    }

    private void tick(Supplier<String> state, boolean watchdog) {
        String s;
        try {
            s = oneLine(state.get());
        } catch (RuntimeException e) {
            return; // a daemon that cannot report its state gets no watchdog ping
        }
        StringBuilder msg = new StringBuilder();
        synchronized (this) {
            if (!s.equals(lastStatus)) {
                lastStatus = s;
                msg.append("STATUS=").append(s);
            }
        }
        if (watchdog) {
            msg.append(msg.isEmpty() ? "" : "\n").append("WATCHDOG=1");
        }
        if (!msg.isEmpty()) {
            sd.send(msg.toString());
        }
    }

    /** A one-off {@code STATUS=} line (e.g. while starting). */
    public synchronized void status(String text) {
        if (sd != null) {
            lastStatus = oneLine(text);
            sd.send("STATUS=" + lastStatus);
        }
    }

    /** {@code STOPPING=1} with a last status line; stops the timer. */
    public void stopping(String text) {
        synchronized (this) {
            if (timer != null) {
                timer.shutdownNow();
                timer = null;
            }
        }
        if (sd != null) {
            sd.send("STOPPING=1\nSTATUS=" + oneLine(text));
        }
    }

    @Override
    public synchronized void close() {
        if (timer != null) {
            timer.shutdownNow();
            timer = null;
        }
    }

    private static String oneLine(String s) {
        return s == null ? "" : s.replaceAll("[\\r\\n]+", " ").strip();
    }
}
