package dev.gridmesh.relay.server;

import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/** Thread-safe counters by {@link RelayCounter}. */
public final class RelayMetrics {
    private final Map<RelayCounter, LongAdder> counters = new EnumMap<>(RelayCounter.class);

    public RelayMetrics() {
        for (RelayCounter c : RelayCounter.values()) {
            counters.put(c, new LongAdder());
        }
    }

    public void increment(RelayCounter c) {
        counters.get(c).increment();
    }

    public void add(RelayCounter c, long n) {
        counters.get(c).add(n);
    }

    public long get(RelayCounter c) {
        return counters.get(c).sum();
    }

    /** Every counter with a non-zero value, in declaration order. */
    public Map<RelayCounter, Long> snapshot() {
        Map<RelayCounter, Long> m = new EnumMap<>(RelayCounter.class);
        counters.forEach((k, v) -> {
            long n = v.sum();
            if (n != 0) {
                m.put(k, n);
            }
        });
        return m;
    }
}
