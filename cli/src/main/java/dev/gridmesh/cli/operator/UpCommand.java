package dev.gridmesh.cli.operator;

import dev.gridmesh.cli.CliException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code gridmesh up [--server HOST:PORT] [--pin sha256:...] [--token TOKEN] [--state-dir DIR]}: the running agent
 * (local socket only) rejoins the mesh after {@code gridmesh down}, with the same node key and so the same overlay
 * IP. {@code --server}/{@code --pin} switch relays (also while up); {@code --token} is only used by a node that has
 * never registered. Returns once the agent has started connecting: see {@code gridmesh status}.
 */
@Command(name = "up", mixinStandardHelpOptions = true,
        description = "Rejoin the mesh after gridmesh down (same node key, same overlay IP), via the running agent.")
public final class UpCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--server", paramLabel = "HOST:PORT", description = "Use this relay from now on.")
    String server;

    @Option(names = "--pin", paramLabel = "sha256:HEX", description = "The relay certificate's pin.")
    String pin;

    @Option(names = "--token", paramLabel = "TOKEN",
            description = "Join token (only for a node that has never registered).")
    String token;

    @Option(names = "--state-dir", paramLabel = "DIR", defaultValue = "/var/lib/gridmesh",
            description = "The agent's state dir (default: ${DEFAULT-VALUE}).")
    Path stateDir;

    @Override
    public Integer call() throws CliException {
        Map<String, String> p = new LinkedHashMap<>();
        if (server != null) {
            p.put("server", server);
        }
        if (pin != null) {
            p.put("pin", pin);
        }
        if (token != null) {
            p.put("token", token);
        }
        return AgentOps.call("up", stateDir, p, spec.commandLine().getOut());
    }
}
