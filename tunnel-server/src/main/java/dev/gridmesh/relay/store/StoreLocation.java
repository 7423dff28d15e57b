package dev.gridmesh.relay.store;

import dev.gridmesh.relay.store.etcd.EtcdStore;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Where a relay keeps its {@link Store}: the embedded H2 file in its state dir (the default, one relay), or an etcd
 * cluster shared by several relays ({@code --store etcd://HOST:PORT[,HOST:PORT...][/PREFIX/]}).
 */
public sealed interface StoreLocation {
    String DEFAULT_ETCD_PREFIX = "/gridmesh/";
    Duration ETCD_TIMEOUT = Duration.ofSeconds(5);

    /** Opens the store; {@code stateDir} is used by the embedded store only. */
    Store open(Path stateDir) throws StoreException;

    /** {@code relay.mv.db} in the state dir. */
    record Embedded() implements StoreLocation {
        @Override
        public Store open(Path stateDir) throws StoreException {
            return H2Store.open(stateDir);
        }

        @Override
        public String toString() {
            return "h2";
        }
    }

    /** An etcd cluster; every key under {@code prefix}. */
    record Etcd(List<String> endpoints, String prefix) implements StoreLocation {
        public Etcd {
            endpoints = List.copyOf(endpoints);
            Objects.requireNonNull(prefix, "prefix");
            if (endpoints.isEmpty()) {
                throw new IllegalArgumentException("etcd: no endpoint");
            }
        }

        @Override
        public Store open(Path stateDir) throws StoreException {
            return EtcdStore.open(endpoints, prefix, ETCD_TIMEOUT);
        }

        @Override
        public String toString() {
            return "etcd://" + String.join(",", endpoints) + prefix;
        }
    }

    Pattern HOST_PORT = Pattern.compile("(\\[[0-9A-Fa-f:.]+]|[A-Za-z0-9.-]+):([0-9]{1,5})");
    Pattern PREFIX = Pattern.compile("/([A-Za-z0-9._-]+/)+");

    /**
     * {@code h2} (or empty) for the embedded store; {@code etcd://HOST:PORT[,HOST:PORT...]} with an optional
     * {@code /PREFIX/} (default {@code /gridmesh/}).
     *
     * @throws IllegalArgumentException naming the value and what was expected
     */
    static StoreLocation parse(String text) {
        String t = text == null ? "" : text.strip();
        if (t.isEmpty() || t.equals("h2")) {
            return new Embedded();
        }
        String expected = " (expected: h2, or etcd://HOST:PORT[,HOST:PORT...][/PREFIX/])";
        if (!t.startsWith("etcd://")) {
            throw new IllegalArgumentException("store: " + text + expected);
        }
        String rest = t.substring("etcd://".length());
        int slash = rest.indexOf('/');
        String hosts = slash < 0 ? rest : rest.substring(0, slash);
        String prefix = slash < 0 ? DEFAULT_ETCD_PREFIX : rest.substring(slash);
        if (!prefix.endsWith("/")) {
            prefix = prefix + "/";
        }
        if (!PREFIX.matcher(prefix).matches()) {
            throw new IllegalArgumentException("store: " + text + ": prefix " + prefix + expected);
        }
        List<String> eps = new ArrayList<>();
        for (String hp : hosts.split(",", -1)) {
            var m = HOST_PORT.matcher(hp);
            if (!m.matches() || Integer.parseInt(m.group(2)) < 1 || Integer.parseInt(m.group(2)) > 65535) {
                throw new IllegalArgumentException("store: " + text + ": endpoint '" + hp + "'" + expected);
            }
            eps.add(hp);
        }
        return new Etcd(eps, prefix);
    }
}
