package dev.gridmesh.cli.relay;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gridmesh.cli.CliException;
import dev.gridmesh.relay.admin.AdminProtocol;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code gridmesh relay nodes}: the registered nodes as a table, or {@code --json}. */
@Command(name = "nodes", mixinStandardHelpOptions = true, description = "List the nodes registered with the running relay.")
public final class RelayNodesCommand implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin StateDirOption stateDir;

    @Option(names = "--json", description = "Print {\"nodes\":[...]} as JSON (stable field names).")
    boolean json;

    @Override
    public Integer call() throws CliException {
        JsonNode r = AdminCall.call("relay nodes", stateDir.get(), AdminProtocol.NODES, req -> { });
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            out.println("{\"nodes\":" + r.path("nodes").toString() + "}");
            return 0;
        }
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"NAME", "OVERLAY IP", "STATE", "LAST SEEN", "TAGS", "NODE KEY", "ENDPOINTS"});
        for (JsonNode n : r.path("nodes")) {
            rows.add(new String[] {
                n.path("name").asText(),
                n.path("overlayIp").asText(),
                n.path("online").asBoolean() ? "online" : "offline",
                n.path("lastSeen").asText(),
                n.path("tags").isEmpty() ? "-" : RelayTokenCommand.join(n.path("tags")),
                n.path("nodeKey").asText().substring(0, 12) + "...",
                n.path("endpoints").isEmpty() ? "-" : RelayTokenCommand.join(n.path("endpoints")),
            });
        }
        int[] w = new int[rows.getFirst().length];
        for (String[] row : rows) {
            for (int i = 0; i < row.length; i++) {
                w[i] = Math.max(w[i], row[i].length());
            }
        }
        for (String[] row : rows) {
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < row.length; i++) {
                sb.append(i == row.length - 1 ? row[i] : String.format("%-" + w[i] + "s  ", row[i]));
            }
            out.println(sb.toString().stripTrailing());
        }
        return 0;
    }
}
