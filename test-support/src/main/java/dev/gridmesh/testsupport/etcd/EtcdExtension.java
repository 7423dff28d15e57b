package dev.gridmesh.testsupport.etcd;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolutionException;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * {@code @ExtendWith(EtcdExtension.class)}: one {@link EtcdServer} per test class, started before the first test and
 * killed (data dir deleted) after the last; tests and {@code @BeforeEach} methods take it as an
 * {@link EtcdServer} parameter. Without an etcd binary the class is skipped with a message saying what to install,
 * except under CI ({@code CI=true}), where a missing binary fails the tests.
 */
public final class EtcdExtension implements BeforeAllCallback, ParameterResolver {
    private static final ExtensionContext.Namespace NS = ExtensionContext.Namespace.create(EtcdExtension.class);
    private static final String KEY = "etcd";

    @Override
    public void beforeAll(ExtensionContext context) throws IOException {
        Optional<Path> bin = EtcdServer.binary();
        if (bin.isEmpty()) {
            String msg = "no etcd binary (looked for -Dgridmesh.etcd, /usr/bin/etcd, /usr/local/bin/etcd, PATH):"
                    + " install Debian's etcd-server (apt-get install etcd-server) to run the etcd tests";
            if ("true".equals(System.getenv("CI"))) {
                throw new IllegalStateException(msg + " (CI=true: the etcd tests must run)");
            }
            System.err.println("SKIPPED " + context.getDisplayName() + ": " + msg); // surefire shows no abort reason
            Assumptions.abort(msg);
        }
        EtcdServer server = EtcdServer.start(bin.get(), Duration.ofSeconds(30));
        // JUnit closes AutoCloseable store values when the class's context ends
        context.getStore(NS).put(KEY, server);
    }

    @Override
    public boolean supportsParameter(ParameterContext p, ExtensionContext e) throws ParameterResolutionException {
        return p.getParameter().getType() == EtcdServer.class;
    }

    @Override
    public Object resolveParameter(ParameterContext p, ExtensionContext e) throws ParameterResolutionException {
        EtcdServer s = e.getStore(NS).get(KEY, EtcdServer.class);
        if (s == null) {
            throw new ParameterResolutionException("etcd was not started for " + e.getDisplayName());
        }
        return s;
    }
}
