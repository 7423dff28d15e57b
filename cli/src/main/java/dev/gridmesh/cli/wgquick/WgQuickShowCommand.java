package dev.gridmesh.cli.wgquick;

import dev.gridmesh.agent.localapi.LocalApiClient;
import dev.gridmesh.agent.localapi.LocalApiException;
import dev.gridmesh.agent.localapi.ShowResponse;
import dev.gridmesh.cli.CliException;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code gridmesh wg-quick show [IFNAME]} (also {@code gridmesh show}): asks running interfaces for their state over
 * their local API sockets ({@code /run/gridmesh/IFNAME.sock}) and prints it like {@code wg show}, or as JSON.
 */
@Command(name = "show", mixinStandardHelpOptions = true,
        description = {"Show running gridmesh interfaces and their peers, like `wg show`.",
                "Without IFNAME, every interface with a socket in /run/gridmesh is shown."},
        footer = {"", "--json: schema version 1 (docs/cli.md). With IFNAME, one interface object:",
                "  schemaVersion, name, publicKey, listenPort, addresses, mtu, peers",
                "  peers[]: publicKey, presharedKey, endpoint, allowedIps, latestHandshake,",
                "           latestHandshakeEpochMillis, rxBytes, txBytes, persistentKeepaliveSeconds",
                "Without IFNAME: {schemaVersion, interfaces: [interface objects without schemaVersion]}"})
public final class WgQuickShowCommand implements Callable<Integer> {
    private static final Logger log = LoggerFactory.getLogger(WgQuickShowCommand.class);

    @Spec CommandSpec spec;

    @Parameters(arity = "0..1", paramLabel = "IFNAME", description = "Interface name (or its FILE.conf).")
    String target;

    @Option(names = "--json", description = "Print JSON (stable schema, see below) instead of text.")
    boolean json;

    @Option(names = "--socket-dir", hidden = true, defaultValue = "/run/gridmesh",
            description = "Directory of the local API sockets (tests).")
    Path socketDir;

    @Option(names = "--timeout", hidden = true, defaultValue = "PT5S", description = "Local API timeout (ISO-8601).")
    Duration timeout;

    @Override
    public Integer call() throws CliException {
        List<ShowResponse> shows = new ArrayList<>();
        if (target != null) {
            String name = InterfaceArgs.interfaceName(target);
            shows.add(show(name));
        } else {
            List<String> names;
            try {
                names = SocketPaths.interfaces(socketDir);
            } catch (IOException e) {
                throw new CliException("show", "cannot list " + socketDir + ": " + e.getMessage(), e);
            }
            CliException firstFailure = null;
            for (String name : names) {
                try {
                    shows.add(show(name));
                } catch (CliException e) {
                    log.debug("skipping {}: {}", name, e.reason());
                    boolean stale = e.reason().contains("stale socket") || e.reason().contains("no gridmesh agent");
                    if (firstFailure == null && !stale) {
                        firstFailure = e; // e.g. permission denied: say so rather than "nothing running"
                    }
                }
            }
            if (shows.isEmpty() && firstFailure != null) {
                throw firstFailure;
            }
            if (shows.isEmpty()) {
                throw new CliException("show", "no gridmesh interface is running (no live socket in " + socketDir
                        + "; start one with: gridmesh wg-quick up FILE.conf)");
            }
        }
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            out.print(target != null ? ShowJson.formatOne(shows.getFirst()) : ShowJson.formatAll(shows));
        } else {
            long now = System.currentTimeMillis();
            for (int i = 0; i < shows.size(); i++) {
                if (i > 0) {
                    out.println();
                }
                out.print(ShowText.format(shows.get(i), now));
            }
        }
        out.flush();
        return 0;
    }

    private ShowResponse show(String name) throws CliException {
        Path sock = SocketPaths.socket(socketDir, name);
        try {
            return new LocalApiClient(sock, timeout).show();
        } catch (LocalApiException e) {
            throw new CliException("show " + name, e.getMessage(), e);
        }
    }
}
