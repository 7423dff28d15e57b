package dev.gridmesh.cli.agent;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gridmesh.agent.localapi.LocalApiClient;
import dev.gridmesh.agent.localapi.LocalApiException;
import dev.gridmesh.cli.CliException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Instant;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code gridmesh status [--json] [--state-dir DIR]}: asks the running agent, through its local API socket only
 * ({@code DIR/agent.sock}), for this node and its peers.
 */
@Command(name = "status", mixinStandardHelpOptions = true,
        description = "Show this node's mesh status and its peers, from the running agent.",
        footer = {"", "--json: the agent's status object (schemaVersion 1, docs/local-api.md):",
                "  self: name, overlayIp, nodeKey, relay, connection, connectionSinceEpochMillis, lastError,",
                "        registrations, tun",
                "  peers[]: name, overlayIp, nodeKey, online, path, latestHandshakeEpochMillis, rxBytes, txBytes,",
                "           endpoint (direct path), pathInfo (probes, switches, timings)",
                "  relayPath: framesSent, bytesSent, drops; dataPlaneDrops"})
public final class StatusCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--json", description = "Print the status as JSON.")
    boolean json;

    @Option(names = "--state-dir", paramLabel = "DIR", defaultValue = "/var/lib/gridmesh",
            description = "The agent's state dir (default: ${DEFAULT-VALUE}).")
    Path stateDir;

    /** The running agent's status object, through its local socket only; {@code what} names the failing command. */
    public static JsonNode fetch(Path stateDir, String what) throws CliException {
        try {
            return new LocalApiClient(AgentCommand.socket(stateDir)).call("status", null);
        } catch (LocalApiException e) {
            throw new CliException(what, e.getMessage(), e);
        }
    }

    @Override
    public Integer call() throws CliException {
        JsonNode s = fetch(stateDir, "status");
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            out.println(s.toString());
            return 0;
        }
        JsonNode self = s.path("self");
        out.printf("%s  %s  %s  relay %s (%s since %s)%n", text(self, "name"), text(self, "overlayIp"),
                text(self, "tun"), text(self, "relay"), text(self, "connection"),
                Instant.ofEpochMilli(self.path("connectionSinceEpochMillis").asLong()));
        if (!self.path("lastError").asText("").isEmpty()) {
            out.println("last error: " + self.path("lastError").asText());
        }
        out.printf("%-20s %-15s %-7s %-6s %-24s %12s %12s%n", "PEER", "OVERLAY IP", "ONLINE", "PATH", "HANDSHAKE", "RX", "TX");
        for (JsonNode p : s.path("peers")) {
            long hs = p.path("latestHandshakeEpochMillis").asLong();
            out.printf("%-20s %-15s %-7s %-6s %-24s %12d %12d%n", text(p, "name"), text(p, "overlayIp"),
                    p.path("online").asBoolean() ? "yes" : "no", text(p, "path"),
                    hs == 0 ? "never" : Instant.ofEpochMilli(hs).toString(), p.path("rxBytes").asLong(),
                    p.path("txBytes").asLong());
            if ("direct".equals(p.path("path").asText())) {
                out.printf("%-20s direct %s, rtt %.2f ms%n", "", text(p, "endpoint"),
                        p.path("pathInfo").path("rttMicros").asLong() / 1000.0);
            }
        }
        return 0;
    }

    private static String text(JsonNode n, String field) {
        JsonNode v = n.path(field);
        return v.isMissingNode() || v.isNull() ? "-" : v.asText();
    }
}
