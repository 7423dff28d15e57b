package dev.gridmesh.nat.portmap;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/** Where {@link PortMapper} runs its renewals: an executor in production, a manual queue in tests. */
@FunctionalInterface
public interface PortMapScheduler {
    /** A scheduled task that can be cancelled. */
    interface Cancellable {
        void cancel();
    }

    Cancellable schedule(Duration delay, Runnable task);

    static PortMapScheduler of(ScheduledExecutorService executor) {
        requireNonNull(executor, "executor");
        return (delay, task) -> {
            ScheduledFuture<?> f = executor.schedule(task, delay.toNanos(), TimeUnit.NANOSECONDS);
            return () -> f.cancel(false);
        };
    }
}
