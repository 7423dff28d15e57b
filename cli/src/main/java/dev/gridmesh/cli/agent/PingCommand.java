package dev.gridmesh.cli.agent;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.gridmesh.agent.localapi.LocalApiClient;
import dev.gridmesh.agent.localapi.LocalApiException;
import dev.gridmesh.cli.CliException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code gridmesh ping PEER [-c N]}: disco pings through the running agent, one line per probe with the path taken
 * (the direct endpoint, or the relay) and the round trip, like {@code tailscale ping}. Exit 1 when none answered.
 */
@Command(name = "ping", mixinStandardHelpOptions = true,
        description = "Ping a peer at the path level (disco): which path (direct endpoint or relay) and RTT.")
public final class PingCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "PEER", description = "Peer name, overlay IP or node key.")
    String peer;

    @Option(names = {"-c", "--count"}, paramLabel = "N", defaultValue = "4", description = "Probes (default: ${DEFAULT-VALUE}).")
    int count;

    @Option(names = "--timeout", paramLabel = "MILLIS", defaultValue = "1000", description = "Wait per probe (default: ${DEFAULT-VALUE}).")
    long timeoutMillis;

    @Option(names = "--json", description = "Print all replies as one JSON object at the end.")
    boolean json;

    @Option(names = "--state-dir", paramLabel = "DIR", defaultValue = "/var/lib/gridmesh",
            description = "The agent's state dir (default: ${DEFAULT-VALUE}).")
    Path stateDir;

    @Override
    public Integer call() throws CliException {
        if (count < 1 || count > 100) {
            throw new CliException("--count", count + " (expected: 1..100)");
        }
        PrintWriter out = spec.commandLine().getOut();
        LocalApiClient client = new LocalApiClient(AgentCommand.socket(stateDir),
                java.time.Duration.ofMillis(timeoutMillis + 5000));
        ArrayNode all = JsonNodeFactory.instance.arrayNode();
        int answered = 0;
        for (int i = 1; i <= count; i++) {
            JsonNode r;
            try {
                r = client.call("ping", JsonNodeFactory.instance.objectNode().put("peer", peer).put("count", 1)
                        .put("timeoutMillis", timeoutMillis));
            } catch (LocalApiException e) {
                throw new CliException("ping", e.getMessage(), e);
            }
            JsonNode reply = r.path("replies").path(0);
            ((com.fasterxml.jackson.databind.node.ObjectNode) reply).put("seq", i);
            all.add(reply);
            double rtt = reply.path("rttMillis").asDouble(-1);
            String via = "direct".equals(reply.path("path").asText()) ? reply.path("endpoint").asText() : "relay";
            if (rtt >= 0) {
                answered++;
            }
            if (!json) {
                out.println(rtt < 0 ? String.format("no pong from %s via %s (timeout %d ms)", peer, via, timeoutMillis)
                        : String.format("pong from %s via %s in %.2f ms", peer,
                                "relay".equals(via) ? "relay" : "direct " + via, rtt));
                out.flush();
            }
            if (i < count) {
                try {
                    Thread.sleep(200);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
        }
        if (json) {
            out.println(JsonNodeFactory.instance.objectNode().put("peer", peer).set("replies", all).toString());
        }
        return answered > 0 ? 0 : 1;
    }
}
