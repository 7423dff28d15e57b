package dev.gridmesh.cli.relay;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gridmesh.cli.CliException;
import dev.gridmesh.relay.admin.AdminProtocol;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code gridmesh relay stats}: online count, every counter (refusals and drops by reason), then the engineer-tunnel
 * counters as {@code tunnel_NAME N} (streams opened/accepted/open, refusals by reason, bytes each way).
 */
@Command(name = "stats", mixinStandardHelpOptions = true, description = "Show the running relay's counters.")
public final class RelayStatsCommand implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin StateDirOption stateDir;

    @Option(names = "--json", description = "Print as JSON.")
    boolean json;

    @Override
    public Integer call() throws CliException {
        JsonNode r = AdminCall.call("relay stats", stateDir.get(), AdminProtocol.STATS, req -> { });
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            ((com.fasterxml.jackson.databind.node.ObjectNode) r).remove("ok");
            out.println(r.toString());
            return 0;
        }
        out.println("online " + r.path("online").asLong());
        r.path("counters").properties().forEach(e -> out.println(e.getKey() + " " + e.getValue().asLong()));
        r.path("tunnels").properties().forEach(e -> out.println("tunnel_" + e.getKey() + " " + e.getValue().asLong()));
        return 0;
    }
}
