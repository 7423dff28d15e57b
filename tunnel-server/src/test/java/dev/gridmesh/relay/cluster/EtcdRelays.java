package dev.gridmesh.relay.cluster;

import dev.gridmesh.relay.server.RelayConfig;
import dev.gridmesh.relay.server.RelayServer;
import dev.gridmesh.relay.store.StoreLocation;
import dev.gridmesh.testsupport.etcd.EtcdServer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Clock;
import java.util.concurrent.atomic.AtomicInteger;

/** Relays started in this JVM on loopback, sharing one real etcd under a key prefix of their own per test. */
final class EtcdRelays {
    private static final AtomicInteger SEQ = new AtomicInteger();
    private final Path dir;
    private final StoreLocation store;

    EtcdRelays(EtcdServer etcd, Path dir, String prefix) {
        this.dir = dir;
        this.store = StoreLocation.parse("etcd://" + etcd.endpoint() + "/" + prefix + "-" + SEQ.incrementAndGet() + "/");
    }

    /** A relay with its state dir {@code dir/name}, TLS on an ephemeral loopback port, no STUN. */
    RelayServer start(String name) throws Exception {
        InetAddress lo = InetAddress.getLoopbackAddress();
        RelayConfig cfg = RelayConfig.defaults(dir.resolve(name)).withListen(new InetSocketAddress(lo, 0), null)
                .withStore(store);
        return RelayServer.start(cfg, Clock.systemUTC());
    }
}
