package dev.gridmesh.cli.agent;

import dev.gridmesh.agent.control.ControlConfig;
import dev.gridmesh.agent.control.RelayTrust;
import dev.gridmesh.agent.control.StateDir;
import dev.gridmesh.agent.dataplane.DataPlaneOptions;
import dev.gridmesh.agent.mesh.AgentConfig;
import dev.gridmesh.agent.mesh.AgentException;
import dev.gridmesh.agent.mesh.MeshAgent;
import dev.gridmesh.cli.CliException;
import dev.gridmesh.protocol.relay.ControlMessage;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import sun.misc.Signal;

/**
 * {@code gridmesh agent --server HOST:PORT --pin sha256:... [--token TOKEN] ...}: joins the mesh through a relay and
 * runs in the foreground until SIGINT/SIGTERM. The first start registers with the token and keeps the node key in the
 * state dir; later starts need no token. A refusal that retrying cannot fix (bad token, removed node) is one line on
 * stderr and exit 1, with nothing left in the state dir but its lock file.
 */
@Command(name = "agent", mixinStandardHelpOptions = true,
        description = {"Join the mesh through a relay and run in the foreground (stop with Ctrl-C or SIGTERM).",
                "First start: --token from `gridmesh relay token create`; later starts use the node key kept in"
                        + " --state-dir. Needs root (or CAP_NET_ADMIN) for the TUN device."})
public final class AgentCommand implements Callable<Integer> {
    private static final Logger log = LoggerFactory.getLogger(AgentCommand.class);

    @Spec CommandSpec spec;

    @picocli.CommandLine.Mixin dev.gridmesh.cli.config.ConfigFileOption configFile;

    @Option(names = "--metrics-listen", paramLabel = "HOST:PORT", defaultValue = "off",
            description = "Serve Prometheus metrics on http://HOST:PORT/metrics, or 'off'. Default: ${DEFAULT-VALUE}.")
    String metricsListen;

    @Option(names = "--server", required = true, paramLabel = "HOST:PORT",
            description = {"The relay's TLS address (port default 8443). Several relays of one mesh (sharing one etcd,"
                    + " docs/multi-relay.md) as a comma list: the agent uses the first and moves to the next when a"
                    + " connection fails or ends."})
    String server;

    static final class Trust {
        @Option(names = "--pin", paramLabel = "sha256:HEX",
                description = "The relay's certificate pin, as `gridmesh relay` prints it; nothing else is trusted.")
        String pin;

        @Option(names = "--ca", paramLabel = "FILE", description = "PEM CA certificate(s) that signed the relay's certificate.")
        Path ca;
    }

    @ArgGroup(exclusive = true, multiplicity = "1")
    Trust trust;

    @Option(names = "--token", paramLabel = "TOKEN", description = "Join token (first start only).")
    String token;

    @Option(names = "--hostname", paramLabel = "NAME", description = "Name to ask the relay for (default: this host's name).")
    String hostname;

    @Option(names = "--state-dir", paramLabel = "DIR", defaultValue = "/var/lib/gridmesh",
            description = "Node key, lock and local API socket (default: ${DEFAULT-VALUE}).")
    Path stateDir;

    @Option(names = "--tun", paramLabel = "NAME", defaultValue = AgentConfig.DEFAULT_TUN,
            description = "TUN interface name (default: ${DEFAULT-VALUE}).")
    String tun;

    @Option(names = "--mtu", paramLabel = "BYTES", defaultValue = "0", description = "TUN MTU (default: 1420).")
    int mtu;

    @Option(names = "--allow-port", paramLabel = "PORT", split = ",",
            description = "Local TCP port engineers may reach through relay tunnels (repeatable; default: 22).")
    java.util.List<Integer> allowPorts;

    @Option(names = "--no-tun-offload", description = "Read and write the TUN device one packet at a time (no"
            + " IFF_VNET_HDR TSO/checksum offload; also GRIDMESH_TUN_OFFLOAD=off). Default: offloads when the kernel"
            + " has them.")
    boolean noTunOffload;

    @picocli.CommandLine.Mixin PathFlags pathFlags;

    private final DataPlaneOptions dataPlaneOptions;
    private final CompletableFuture<String> stop = new CompletableFuture<>();

    public AgentCommand() {
        this(DataPlaneOptions.system());
    }

    /** With other OS backends (tests: a fake TUN, no {@code ip}). */
    public AgentCommand(DataPlaneOptions dataPlaneOptions) {
        this.dataPlaneOptions = Objects.requireNonNull(dataPlaneOptions, "dataPlaneOptions");
    }

    @Override
    public Integer call() throws CliException {
        AgentConfig config = config();
        java.util.Set<Integer> tunnelPorts = allowPorts == null ? dev.gridmesh.agent.tunnel.AgentTunnels.DEFAULT_PORTS
                : java.util.Set.copyOf(allowPorts);
        for (int p : tunnelPorts) {
            if (p < 1 || p > 65535) {
                throw new CliException("agent", "--allow-port: " + p + " (expected: 1..65535)");
            }
        }
        Signal[] sigs = {new Signal("INT"), new Signal("TERM")};
        sun.misc.SignalHandler[] previous = new sun.misc.SignalHandler[sigs.length];
        for (int i = 0; i < sigs.length; i++) {
            try {
                previous[i] = Signal.handle(sigs[i], s -> stop.complete("SIG" + s.getName()));
            } catch (IllegalArgumentException e) {
                log.debug("cannot trap {}: {}", sigs[i], e.toString());
            }
        }
        MeshAgent agent;
        try {
            agent = MeshAgent.start(config, pathFlags.options(config.control().host()));
        } catch (AgentException e) {
            throw new CliException("agent", e.getMessage(), e);
        }
        agent.control().streams(new dev.gridmesh.agent.tunnel.AgentTunnels(tunnelPorts)); // engineer tunnels
        dev.gridmesh.cli.service.DaemonService service = null;
        String stopReason = "stopped";
        try {
            service = dev.gridmesh.cli.service.AgentService.start(agent, metricsListen);
            agent.stopped().thenAccept(why -> stop.complete("!" + why));
            CompletableFuture<Object> first = CompletableFuture.anyOf(agent.firstRegistration(), stop);
            Object r;
            try {
                r = first.get();
            } catch (ExecutionException e) {
                throw new CliException("agent", e.getCause().getMessage(), e.getCause());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return 1;
            }
            if (r instanceof ControlMessage.RegisterOk ok) {
                PrintWriter out = spec.commandLine().getOut();
                out.println("agent: node " + ok.nodeName() + " " + ok.overlayIp().getHostAddress() + "/" + ok.prefixBits()
                        + " on " + config.tunName() + " via relay " + config.control().host() + ":" + config.control().port()
                        + " (state dir " + agent.stateDir().path() + ", node key " + agent.nodeKey().toBase64() + ")");
                if (service.metricsPort() >= 0) {
                    out.println("agent: metrics on http port " + service.metricsPort());
                }
                out.flush();
                service.ready(dev.gridmesh.cli.service.AgentService.statusLine(agent));
            }
            String why = stop.join();
            stopReason = why;
            if (why.startsWith("!")) {
                throw new CliException("agent", why.substring(1));
            }
            log.info("agent: stopping ({})", why);
            return 0;
        } finally {
            if (service != null) {
                service.stopping(stopReason);
                service.close();
            }
            agent.close();
            for (int i = 0; i < sigs.length; i++) {
                if (previous[i] != null) {
                    Signal.handle(sigs[i], previous[i]);
                }
            }
        }
    }

    /** Stops a running agent from another thread (tests). */
    void stop(String why) {
        stop.complete(why);
    }

    /** One {@code HOST[:PORT]} of {@code --server} (port default 8443; IPv6 in brackets). */
    private ControlConfig.Server parseServer(String one) throws CliException {
        try {
            String s = one.strip();
            String host;
            int port;
            int colon = s.lastIndexOf(':');
            if (s.startsWith("[")) {
                int close = s.indexOf(']');
                if (close < 0) {
                    throw new IllegalArgumentException("unclosed [");
                }
                host = s.substring(1, close);
                port = close + 1 < s.length() ? Integer.parseInt(s.substring(close + 2)) : 8443;
            } else if (colon > 0 && s.indexOf(':') == colon) {
                host = s.substring(0, colon);
                port = Integer.parseInt(s.substring(colon + 1));
            } else {
                host = s;
                port = 8443;
            }
            return new ControlConfig.Server(host, port);
        } catch (RuntimeException e) {
            throw new CliException("--server", server + " (expected: HOST:PORT[,HOST:PORT...], e.g. relay.example.com:8443)");
        }
    }

    AgentConfig config() throws CliException {
        List<ControlConfig.Server> servers = new ArrayList<>();
        for (String one : server.split(",", -1)) {
            servers.add(parseServer(one));
        }
        String host = servers.getFirst().host();
        int port = servers.getFirst().port();
        RelayTrust t;
        try {
            t = trust.pin != null ? new RelayTrust.Pinned(trust.pin) : new RelayTrust.CaFile(trust.ca);
        } catch (IllegalArgumentException e) {
            throw new CliException("--pin", e.getMessage().replaceFirst("^pin: ", ""));
        }
        String name = hostname != null ? hostname : localHostname();
        if (name.getBytes(StandardCharsets.UTF_8).length > 63) {
            throw new CliException("--hostname", name + " (expected: at most 63 bytes)");
        }
        if (tun.isEmpty() || tun.length() > 15) {
            throw new CliException("--tun", tun + " (expected: 1-15 characters)");
        }
        try {
            return new AgentConfig(stateDir, ControlConfig.of(host, port, t, name).withAlternates(servers.subList(1, servers.size())), token, tun, mtu, dataPlaneOptions.withoutTunOffloads(noTunOffload));
        } catch (IllegalArgumentException e) {
            throw new CliException("agent", e.getMessage(), e);
        }
    }

    private static String localHostname() {
        try {
            String h = InetAddress.getLocalHost().getHostName();
            int dot = h.indexOf('.');
            h = dot > 0 ? h.substring(0, dot) : h;
            return h.length() > 63 ? h.substring(0, 63) : h;
        } catch (java.io.IOException e) {
            return "node";
        }
    }

    static Path socket(Path stateDir) {
        return StateDir.socketPath(stateDir);
    }
}
