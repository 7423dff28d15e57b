package dev.gridmesh.cli.operator;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gridmesh.cli.CliException;
import dev.gridmesh.cli.agent.StatusCommand;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code gridmesh peers [--json] [--state-dir DIR]}: the peers of the running agent, from its local API
 * ({@code status} op) only. {@code --json}: {@code {"schemaVersion":1,"peers":[...]}} with the peer objects of
 * {@code gridmesh status --json} (docs/service.md, docs/agent.md).
 */
@Command(name = "peers", mixinStandardHelpOptions = true,
        description = "List the running agent's peers: name, overlay IP, online, path, latest handshake, rx/tx.")
public final class PeersCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--json", description = "Print {\"schemaVersion\":1,\"peers\":[...]} (stable; docs/service.md).")
    boolean json;

    @Option(names = "--state-dir", paramLabel = "DIR", defaultValue = "/var/lib/gridmesh",
            description = "The agent's state dir (default: ${DEFAULT-VALUE}).")
    Path stateDir;

    @Override
    public Integer call() throws CliException {
        JsonNode s = StatusCommand.fetch(stateDir, "peers");
        PrintWriter out = spec.commandLine().getOut();
        JsonNode peers = s.path("peers");
        if (json) {
            ObjectNode o = new ObjectMapper().createObjectNode();
            o.put("schemaVersion", 1);
            o.set("peers", peers.isMissingNode() ? new ObjectMapper().createArrayNode() : peers);
            out.println(o);
            return 0;
        }
        out.printf("%-20s %-15s %-7s %-24s %-12s %12s %12s%n", "PEER", "OVERLAY IP", "ONLINE", "PATH", "HANDSHAKE",
                "RX", "TX");
        long now = System.currentTimeMillis();
        for (JsonNode p : peers) {
            long hs = p.path("latestHandshakeEpochMillis").asLong();
            String path = text(p, "path");
            if (p.hasNonNull("endpoint") && path.equals("direct")) {
                path = "direct " + p.get("endpoint").asText();
            }
            out.printf("%-20s %-15s %-7s %-24s %-12s %12d %12d%n", text(p, "name"), text(p, "overlayIp"),
                    p.path("online").asBoolean() ? "yes" : "no", path, hs == 0 ? "never" : ago(now - hs),
                    p.path("rxBytes").asLong(), p.path("txBytes").asLong());
        }
        return 0;
    }

    static String ago(long millis) {
        Duration d = Duration.ofMillis(Math.max(0, millis));
        if (d.toSeconds() < 120) {
            return d.toSeconds() + "s ago";
        }
        if (d.toMinutes() < 120) {
            return d.toMinutes() + "m ago";
        }
        return Instant.ofEpochMilli(System.currentTimeMillis() - millis).toString();
    }

    private static String text(JsonNode n, String field) {
        JsonNode v = n.path(field);
        return v.isMissingNode() || v.isNull() ? "-" : v.asText();
    }
}
