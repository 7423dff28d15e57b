package dev.gridmesh.cli.service;

import dev.gridmesh.cli.CliException;
import io.prometheus.metrics.exporter.httpserver.HTTPServer;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The service side of a daemon command ({@code gridmesh agent}, {@code gridmesh relay}): its Prometheus endpoint
 * ({@code --metrics-listen}, {@code GET /metrics}) and its sd_notify messages. One per process; idempotent close.
 */
public final class DaemonService implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(DaemonService.class);

    private final ServiceNotifier notifier;
    private final PrometheusRegistry registry;
    private final HTTPServer http;

    private DaemonService(ServiceNotifier notifier, PrometheusRegistry registry, HTTPServer http) {
        this.notifier = notifier;
        this.registry = registry;
        this.http = http;
    }

    /**
     * Registers the daemon's metrics (when {@code metricsListen} is not null/"off") and binds the endpoint.
     *
     * @throws CliException when the address is malformed or cannot be bound
     */
    public static DaemonService start(String metricsListen, Consumer<PrometheusRegistry> metrics) throws CliException {
        return start(metricsListen, true, metrics);
    }

    /**
     * The same; when {@code required} is false (a default address, not one the operator asked for) a busy address
     * logs a warning and the daemon runs without metrics.
     */
    public static DaemonService start(String metricsListen, boolean required, Consumer<PrometheusRegistry> metrics)
            throws CliException {
        ServiceNotifier notifier = ServiceNotifier.fromEnvironment();
        InetSocketAddress addr = parseListen(metricsListen);
        if (addr == null) {
            return new DaemonService(notifier, null, null);
        }
        PrometheusRegistry registry = new PrometheusRegistry();
        metrics.accept(registry);
        try {
            HTTPServer http = HTTPServer.builder().inetAddress(addr.getAddress()).port(addr.getPort())
                    .registry(registry).buildAndStart();
            log.info("metrics: http://{}/metrics", format(new InetSocketAddress(addr.getAddress(), http.getPort())));
            return new DaemonService(notifier, registry, http);
        } catch (IOException e) {
            if (!required) {
                log.warn("metrics: cannot listen on {} ({}); metrics are off", metricsListen, e.getMessage());
                return new DaemonService(notifier, null, null);
            }
            throw new CliException("--metrics-listen", metricsListen + ": cannot listen: " + e.getMessage(), e);
        }
    }

    /** {@code HOST:PORT}, {@code [V6]:PORT}, {@code :PORT} (all addresses); null for null/empty/"off". */
    static InetSocketAddress parseListen(String s) throws CliException {
        if (s == null || s.isBlank() || s.strip().equalsIgnoreCase("off")) {
            return null;
        }
        String v = s.strip();
        try {
            int colon = v.lastIndexOf(':');
            if (colon < 0) {
                throw new IllegalArgumentException();
            }
            String host = v.substring(0, colon);
            int port = Integer.parseInt(v.substring(colon + 1));
            if (port < 0 || port > 65535) {
                throw new IllegalArgumentException();
            }
            if (host.startsWith("[") && host.endsWith("]")) {
                host = host.substring(1, host.length() - 1);
            }
            InetAddress a = host.isEmpty() ? InetAddress.getByName("::") : InetAddress.getByName(host);
            return new InetSocketAddress(a, port);
        } catch (IllegalArgumentException | UnknownHostException e) {
            throw new CliException("--metrics-listen", v + " (expected: HOST:PORT, e.g. 127.0.0.1:9464, or off)");
        }
    }

    /** The bound metrics port, or -1 when metrics are off. */
    public int metricsPort() {
        return http == null ? -1 : http.getPort();
    }

    /** The registry, or null when metrics are off. */
    public PrometheusRegistry registry() {
        return registry;
    }

    public ServiceNotifier notifier() {
        return notifier;
    }

    /** READY=1, then STATUS= updates (and watchdog pings) from {@code state}. */
    public void ready(Supplier<String> state) {
        notifier.ready(state);
    }

    /** {@code why}: a signal name, or {@code !REASON} when the daemon gives up on its own. */
    public void stopping(String why) {
        notifier.stopping(why.startsWith("!") ? "failed: " + why.substring(1) : "stopping: " + why);
    }

    @Override
    public void close() {
        notifier.close();
        if (http != null) {
            http.close();
        }
    }

    static String format(InetSocketAddress a) {
        String h = a.getAddress().getHostAddress();
        return (h.indexOf(':') >= 0 ? "[" + h + "]" : h) + ":" + a.getPort();
    }
}
