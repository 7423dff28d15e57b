package dev.gridmesh.cli.operator;

import dev.gridmesh.cli.CliException;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code gridmesh down [--state-dir DIR]}: the running agent (local socket only) leaves the mesh: relay connection
 * closed, peers removed, the TUN and the node key kept; {@code gridmesh up} rejoins with the same overlay IP.
 */
@Command(name = "down", mixinStandardHelpOptions = true,
        description = "Leave the mesh but keep this node's identity (gridmesh up rejoins), via the running agent.")
public final class DownCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--state-dir", paramLabel = "DIR", defaultValue = "/var/lib/gridmesh",
            description = "The agent's state dir (default: ${DEFAULT-VALUE}).")
    Path stateDir;

    @Override
    public Integer call() throws CliException {
        return AgentOps.call("down", stateDir, Map.of(), spec.commandLine().getOut());
    }
}
