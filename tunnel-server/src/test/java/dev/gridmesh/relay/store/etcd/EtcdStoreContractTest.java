package dev.gridmesh.relay.store.etcd;

import dev.gridmesh.relay.store.Store;
import dev.gridmesh.relay.store.StoreContractTest;
import dev.gridmesh.testsupport.etcd.EtcdExtension;
import dev.gridmesh.testsupport.etcd.EtcdServer;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The store contract against a real etcd (started by {@link EtcdExtension}; skipped without the binary unless CI).
 * Each test gets its own key prefix; the second handle is a second jetcd client, as a second relay would have.
 */
@ExtendWith(EtcdExtension.class)
class EtcdStoreContractTest extends StoreContractTest {
    private static final AtomicInteger SEQ = new AtomicInteger();
    private EtcdServer etcd;
    private String prefix;

    @BeforeEach
    void prefix(EtcdServer etcd) {
        this.etcd = etcd;
        this.prefix = "/gm-test-" + SEQ.incrementAndGet() + "/";
    }

    private Store connect() throws Exception {
        return track(EtcdStore.open(List.of(etcd.endpoint()), prefix, Duration.ofSeconds(10)));
    }

    @Override
    protected Store open() throws Exception {
        return connect();
    }

    @Override
    protected Store second(Store first) throws Exception {
        return connect();
    }

    @Override
    protected Store reopen(Store s) throws Exception {
        s.close();
        return connect();
    }
}
