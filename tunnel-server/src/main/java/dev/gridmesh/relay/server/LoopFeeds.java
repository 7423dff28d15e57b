package dev.gridmesh.relay.server;

import io.netty.util.concurrent.EventExecutor;
import java.util.ArrayList;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The fed connections of one event loop and the task that brings them up to date: a change to the peer map wakes
 * each event loop once (not each connection), and one pass then writes every connection that is behind and
 * writable its missing changes as one batch. Passes are spaced by an interval that grows with the number of
 * connections (500 µs each: at most about 2,000 writes per second per loop however fast nodes join) and with what
 * the last pass cost (ten times its duration, so passes take at most about a tenth of the loop), between 10 ms and
 * 500 ms, so a change still reaches every connection well within a second. The first change after a quiet interval
 * goes out at once. (Measured with 1,000-10,000 idle agents: per-write cost, TLS record and syscall, dominated the
 * relay's CPU during a mass join; docs/benchmarks-relay.md.)
 *
 * <p>The list is touched only on the loop; {@link #wake} may be called from any thread.
 */
final class LoopFeeds implements Runnable {
    static final long MIN_INTERVAL_NANOS = TimeUnit.MILLISECONDS.toNanos(10);
    static final long MAX_INTERVAL_NANOS = TimeUnit.MILLISECONDS.toNanos(500);
    static final long INTERVAL_PER_FEED_NANOS = TimeUnit.MICROSECONDS.toNanos(500);
    static final int INTERVAL_PER_PASS_COST = 10;
    private static final PeerFeed[] NONE = new PeerFeed[0];

    private final EventExecutor loop;
    private final RelayHub hub;
    private final ArrayList<PeerFeed> feeds = new ArrayList<>();
    private final AtomicBoolean armed = new AtomicBoolean();
    private volatile int size;
    private volatile long lastRunNanos;
    private volatile long lastPassNanos;
    private volatile boolean ran;

    LoopFeeds(EventExecutor loop, RelayHub hub) {
        this.loop = loop;
        this.hub = hub;
    }

    EventExecutor loop() {
        return loop;
    }

    /** On the loop. */
    void add(PeerFeed f) {
        f.loop = this;
        f.index = feeds.size();
        feeds.add(f);
        size = feeds.size();
    }

    /** On the loop; returns whether no feed is left. */
    boolean remove(PeerFeed f) {
        int i = f.index;
        if (f.loop == this && i >= 0 && i < feeds.size() && feeds.get(i) == f) {
            PeerFeed last = feeds.removeLast();
            if (last != f) {
                feeds.set(i, last);
                last.index = i;
            }
            size = feeds.size();
        }
        f.loop = null;
        f.index = -1;
        return feeds.isEmpty();
    }

    int size() {
        return size;
    }

    long intervalNanos() {
        long want = Math.max((long) size * INTERVAL_PER_FEED_NANOS, INTERVAL_PER_PASS_COST * lastPassNanos);
        return Math.clamp(want, MIN_INTERVAL_NANOS, MAX_INTERVAL_NANOS);
    }

    /** The log has a new change: run a pass soon (at once when the last pass is older than the interval). */
    void wake() {
        if (!armed.compareAndSet(false, true)) {
            return;
        }
        try {
            long wait = ran ? lastRunNanos + intervalNanos() - loop.ticker().nanoTime() : 0;
            if (wait <= 0) {
                loop.execute(this);
            } else {
                loop.schedule(this, wait, TimeUnit.NANOSECONDS);
            }
        } catch (RejectedExecutionException e) {
            armed.set(false); // loop shutting down: its connections are closing
        }
    }

    @Override
    public void run() {
        armed.set(false); // changes appended from here on arm the next pass
        long start = loop.ticker().nanoTime();
        lastRunNanos = start;
        ran = true;
        // a write may close a connection and so change the list: walk a copy
        for (PeerFeed f : feeds.toArray(NONE)) {
            hub.flush(f);
        }
        lastPassNanos = loop.ticker().nanoTime() - start;
    }
}
