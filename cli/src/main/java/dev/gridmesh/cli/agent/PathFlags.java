package dev.gridmesh.cli.agent;

import dev.gridmesh.agent.path.PathApi;
import dev.gridmesh.agent.path.PathOptions;
import dev.gridmesh.cli.CliException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/** The agent's direct-path flags: {@code --stun HOST:PORT} (repeatable), {@code --no-direct}, {@code --no-portmap}. */
public final class PathFlags {
    @Option(names = "--stun", paramLabel = "HOST:PORT",
            description = "STUN server for endpoint discovery, repeatable; two (different addresses best) classify the"
                    + " NAT. Default: the relay's host, ports 3478 and 3479.")
    List<String> stun = new ArrayList<>();

    @Option(names = "--no-direct", description = "Keep every peer on the relay (no STUN, disco or port mapping).")
    boolean noDirect;

    @Option(names = "--no-portmap", description = "Do not ask the gateway for a port mapping (PCP, NAT-PMP, UPnP)."
            + " Implied when the relay is on loopback.")
    boolean noPortmap;

    PathOptions options(String relayHost) throws CliException {
        if (noDirect) {
            return PathOptions.disabled();
        }
        List<InetSocketAddress> servers = new ArrayList<>();
        for (String s : stun) {
            int i = s.lastIndexOf(':');
            try {
                int port = Integer.parseInt(s.substring(i + 1));
                String host = s.substring(0, i);
                if (i <= 0 || port < 1 || port > 65535) {
                    throw new IllegalArgumentException();
                }
                servers.add(new InetSocketAddress(host.startsWith("[") ? host.substring(1, host.length() - 1) : host,
                        port));
            } catch (RuntimeException e) {
                throw new CliException("--stun", s + " (expected: HOST:PORT)");
            }
        }
        if (servers.isEmpty()) {
            servers.addAll(PathApi.defaultStun(relayHost));
        }
        PathOptions d = PathOptions.defaults(servers);
        // a relay on loopback is a single-host setup (development, tests): no gateway is asked for a mapping
        boolean portmap = !noPortmap && !isLoopback(relayHost);
        return new PathOptions(true, servers, portmap, d.heartbeat(), d.fallbackAfter(), d.retryMin(),
                d.retryMax(), d.rediscover());
    }

    private static boolean isLoopback(String host) {
        try {
            return java.net.InetAddress.getByName(host).isLoopbackAddress();
        } catch (java.net.UnknownHostException e) {
            return false;
        }
    }
}
