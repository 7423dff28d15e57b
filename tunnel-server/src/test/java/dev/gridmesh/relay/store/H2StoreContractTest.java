package dev.gridmesh.relay.store;

import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;

/** The store contract against the embedded H2 file (one writer per file: the "second handle" is the same store). */
class H2StoreContractTest extends StoreContractTest {
    @TempDir Path dir;

    @Override
    protected Store open() throws Exception {
        return track(H2Store.open(dir));
    }

    @Override
    protected Store second(Store first) {
        return first;
    }

    @Override
    protected Store reopen(Store s) throws Exception {
        s.close();
        return track(H2Store.open(dir));
    }
}
