package dev.gridmesh.relay.server;

import dev.gridmesh.relay.store.Store;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.Objects;
import java.util.concurrent.ExecutorService;

/**
 * What every connection of one relay shares.
 *
 * @param preAuth caps connections that have not authenticated yet
 * @param storeExecutor one thread: every store call and every hub change that must follow the store's order runs here
 */
record RelayContext(RelayConfig config, RelayMetrics metrics, RelayHub hub, Store store, ExecutorService storeExecutor,
                    Clock clock, SecureRandom random, PreAuthLimiter preAuth) {
    RelayContext {
        Objects.requireNonNull(config, "config");
        Objects.requireNonNull(metrics, "metrics");
        Objects.requireNonNull(hub, "hub");
        Objects.requireNonNull(store, "store");
        Objects.requireNonNull(storeExecutor, "storeExecutor");
        Objects.requireNonNull(clock, "clock");
        Objects.requireNonNull(random, "random");
        Objects.requireNonNull(preAuth, "preAuth");
    }
}
