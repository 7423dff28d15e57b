package dev.gridmesh.cli.relay;

import dev.gridmesh.cli.CliException;
import dev.gridmesh.protocol.net.IpPrefix;
import dev.gridmesh.relay.server.RelayConfig;
import dev.gridmesh.relay.server.RelayServer;
import dev.gridmesh.relay.store.StoreException;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Clock;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code gridmesh relay}: runs the relay in the foreground until SIGINT/SIGTERM. Its subcommands administer a
 * running relay through the admin socket in the same state dir.
 */
@Command(name = "relay", mixinStandardHelpOptions = true,
        description = {"Run the gridmesh relay (registry, peer maps, packet relay, STUN) in the foreground.",
                "With a subcommand, administer the relay running with the same --state-dir."},
        subcommands = {RelayTokenCommand.class, RelayNodesCommand.class, RelayNodeCommand.class, RelayStatsCommand.class,
                dev.gridmesh.cli.tunnel.RelayUserCommand.class})
public final class RelayCommand implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin StateDirOption stateDir;
    @Mixin dev.gridmesh.cli.config.ConfigFileOption configFile;

    @Option(names = "--metrics-listen", paramLabel = "HOST:PORT",
            defaultValue = dev.gridmesh.cli.service.RelayService.DEFAULT_METRICS_LISTEN,
            description = "Serve Prometheus metrics on http://HOST:PORT/metrics, or 'off'. Default: ${DEFAULT-VALUE}.")
    String metricsListen;

    @Option(names = "--listen", paramLabel = "HOST:PORT", defaultValue = ":8443", converter = HostPortConverter.class,
            description = "TCP address for TLS (agents, HTTP upgrade, /healthz). Default: ${DEFAULT-VALUE}.")
    InetSocketAddress listen;

    @Option(names = "--stun-listen", paramLabel = "HOST:PORT", defaultValue = ":3478",
            description = "UDP address for STUN, or 'off'; the next port answers STUN too (agents compare the two to"
                    + " classify their NAT). Default: ${DEFAULT-VALUE}.")
    String stunListen;

    @Option(names = "--cert", paramLabel = "FILE", description = "PEM certificate chain (leaf first) of a CA-signed certificate; with --key. Default: a self-signed one made in the state dir.")
    Path cert;

    @Option(names = "--key", paramLabel = "FILE", description = "PEM private key for --cert.")
    Path key;

    @Option(names = "--overlay-range", paramLabel = "PREFIX", defaultValue = "100.64.0.0/10",
            description = "IPv4 range overlay addresses are given from. Default: ${DEFAULT-VALUE}.")
    String overlayRange;

    @Option(names = "--store", paramLabel = "h2|etcd://HOST:PORT[,...][/PREFIX/]", defaultValue = "h2",
            description = {"Where the registry (nodes, join tokens, admin credentials) lives: 'h2', one file in the"
                    + " state dir, or an etcd cluster that several relays share (keys under PREFIX, default /gridmesh/;"
                    + " see docs/multi-relay.md). Default: ${DEFAULT-VALUE}."})
    String store;

    @Option(names = "--cluster-listen", paramLabel = "HOST:PORT", converter = HostPortConverter.class,
            description = "With an etcd store: TCP address of the relay-to-relay link (TLS) that carries packets for"
                    + " nodes connected to another relay. Default: the --listen host, a free port.")
    InetSocketAddress clusterListen;

    @Option(names = "--cluster-advertise", paramLabel = "HOST",
            description = "With an etcd store: the address other relays dial for the link. Default: the"
                    + " --cluster-listen host, or this host's first non-loopback IPv4 address when that is a wildcard.")
    String clusterAdvertise;

    @Override
    public Integer call() throws CliException {
        InetSocketAddress stun = stunListen.equalsIgnoreCase("off") ? null : convertStun();
        IpPrefix range;
        RelayConfig cfg;
        try {
            range = IpPrefix.parse(overlayRange);
            cfg = RelayConfig.defaults(stateDir.get()).withListen(listen, stun).withCertificate(cert, key).withOverlayRange(range)
                    .withStore(dev.gridmesh.relay.store.StoreLocation.parse(store))
                    .withCluster(new dev.gridmesh.relay.cluster.ClusterOptions(clusterListen, clusterAdvertise));
        } catch (IllegalArgumentException e) {
            throw new CliException("relay", e.getMessage());
        }
        RelayServer server;
        try {
            server = RelayServer.start(cfg, Clock.systemUTC());
        } catch (IOException | StoreException e) {
            throw new CliException("relay", e.getMessage(), e);
        }
        dev.gridmesh.cli.service.DaemonService service;
        try {
            service = dev.gridmesh.cli.service.RelayService.start(server, metricsListen,
                    spec.commandLine().getParseResult().hasMatchedOption("--metrics-listen"));
        } catch (CliException e) {
            server.close();
            throw e;
        }
        PrintWriter out = spec.commandLine().getOut();
        out.println("relay: tls on tcp " + format(server.tcpAddress()) + " (upgrade GET /gridmesh/v1, health GET /healthz)"
                + (server.epoll() ? " [epoll]" : " [nio]"));
        if (server.tcpAddress().getAddress().isAnyLocalAddress()) {
            for (String a : interfaceAddresses()) {
                out.println("relay:   agents can use --server " + a + ":" + server.tcpAddress().getPort());
            }
        }
        out.println("relay: stun on udp " + (server.stunAddress() == null ? "off" : format(server.stunAddress())));
        out.println("relay: certificate pin " + server.pin() + "  (agents: --pin " + server.pin() + ")");
        out.println("relay: overlay range " + range + ", state dir " + stateDir.get() + ", store " + cfg.store());
        if (server.cluster() != null) {
            out.println("relay: cluster relay " + server.cluster().id() + ", link on tcp "
                    + format(server.cluster().linkAddress()));
        }
        if (server.adminSocket() != null) {
            out.println("relay: admin socket " + server.adminSocket());
        }
        out.println("relay: metrics " + (service.metricsPort() < 0 ? "off" : "on http port " + service.metricsPort()));
        out.flush();
        CountDownLatch stopped = new CountDownLatch(1);
        CountDownLatch closed = new CountDownLatch(1);
        for (String name : new String[] {"INT", "TERM"}) {
            try {
                sun.misc.Signal.handle(new sun.misc.Signal(name), s -> stopped.countDown());
            } catch (IllegalArgumentException | UnsupportedOperationException | LinkageError e) {
                // not trappable here: the shutdown hook below still closes the relay
            }
        }
        Thread hook = new Thread(() -> {
            stopped.countDown();
            try {
                closed.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "relay-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        service.ready(dev.gridmesh.cli.service.RelayService.statusLine(server)); // SIGTERM is handled from here on
        try {
            stopped.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            service.stopping("SIGTERM");
            service.close();
            server.close();
            closed.countDown();
        }
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException e) {
            // already shutting down
        }
        return 0;
    }

    private InetSocketAddress convertStun() throws CliException {
        try {
            return new HostPortConverter().convert(stunListen);
        } catch (RuntimeException e) {
            throw new CliException("relay: --stun-listen", e.getMessage());
        }
    }

    /** This host's addresses (interfaces that are up), for the hint printed at start. */
    static java.util.List<String> interfaceAddresses() {
        java.util.List<String> out = new java.util.ArrayList<>();
        try {
            for (java.net.NetworkInterface ni : java.util.Collections.list(java.net.NetworkInterface.getNetworkInterfaces())) {
                if (!ni.isUp()) {
                    continue;
                }
                for (java.net.InetAddress a : java.util.Collections.list(ni.getInetAddresses())) {
                    if (a.isLinkLocalAddress()) {
                        continue;
                    }
                    String h = a.getHostAddress();
                    out.add(h.indexOf(':') >= 0 ? "[" + h + "]" : h);
                }
            }
        } catch (java.net.SocketException e) {
            // only a hint
        }
        return out;
    }

    static String format(InetSocketAddress a) {
        String h = a.getAddress().getHostAddress();
        return (h.indexOf(':') >= 0 ? "[" + h + "]" : h) + ":" + a.getPort();
    }
}
