package dev.gridmesh.cli.relay;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gridmesh.cli.CliException;
import dev.gridmesh.relay.admin.AdminProtocol;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code gridmesh relay node remove NAME}. */
@Command(name = "node", mixinStandardHelpOptions = true, description = "Manage one node of the running relay.",
        subcommands = {RelayNodeCommand.Remove.class})
public final class RelayNodeCommand implements Runnable {
    @Spec CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "missing command (see gridmesh relay node --help)");
    }

    @Command(name = "remove", mixinStandardHelpOptions = true,
            description = {"Remove a node: its connection is cut at once, peers drop it, its key must register again with a token."})
    public static final class Remove implements Callable<Integer> {
        @Spec CommandSpec spec;
        @Mixin StateDirOption stateDir;

        @Parameters(paramLabel = "NAME", description = "The node's name, as `gridmesh relay nodes` shows it.")
        String name;

        @Override
        public Integer call() throws CliException {
            JsonNode r = AdminCall.call("relay node remove", stateDir.get(), AdminProtocol.NODE_REMOVE, req -> req.put("name", name));
            JsonNode n = r.path("removed");
            spec.commandLine().getOut().println("removed " + n.path("name").asText() + " (" + n.path("overlayIp").asText() + ")");
            return 0;
        }
    }
}
