package dev.gridmesh.cli.wgquick;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;
import sun.misc.SignalHandler;

/**
 * Keeps a foreground command running until asked to stop: SIGINT or SIGTERM (trapped, so that cleanup runs on the
 * main thread and the process exits 0), or a call to {@link #stop} (e.g. the local API's {@code down}).
 * Where signals cannot be trapped, a shutdown hook stops it instead and waits for the cleanup.
 */
final class Foreground {
    private static final Logger log = LoggerFactory.getLogger(Foreground.class);

    private final CountDownLatch stopped = new CountDownLatch(1);
    private final CountDownLatch cleanedUp = new CountDownLatch(1);
    private final AtomicReference<String> reason = new AtomicReference<>();

    void stop(String why) {
        if (reason.compareAndSet(null, why)) {
            stopped.countDown();
        } else {
            log.info("already stopping ({}); ignoring {}", reason.get(), why);
        }
    }

    /** Blocks until {@link #stop}; returns why. */
    String await() {
        boolean interrupted = false;
        while (true) {
            try {
                stopped.await();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        return reason.get();
    }

    /** Signal handlers installed by {@link #trapSignals()}; {@link #restore()} puts the previous ones back. */
    interface Signals {
        void restore();
    }

    Signals trapSignals() {
        List<Runnable> undo = new ArrayList<>();
        for (String name : new String[] {"INT", "TERM"}) {
            try {
                Signal sig = new Signal(name);
                SignalHandler previous = Signal.handle(sig, s -> stop("SIG" + s.getName()));
                undo.add(() -> Signal.handle(sig, previous));
            } catch (IllegalArgumentException | UnsupportedOperationException | LinkageError e) {
                log.debug("cannot trap SIG{} ({}); relying on a shutdown hook", name, e.toString());
            }
        }
        Thread hook = new Thread(() -> {
            stop("JVM shutdown");
            try {
                cleanedUp.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "gridmesh-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        return () -> {
            cleanedUp.countDown();
            undo.forEach(Runnable::run);
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException e) {
                // already shutting down: the hook is running and now sees cleanedUp
            }
        };
    }
}
