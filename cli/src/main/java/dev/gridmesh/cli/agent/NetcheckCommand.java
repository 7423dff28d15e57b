package dev.gridmesh.cli.agent;

import com.fasterxml.jackson.databind.JsonNode;
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
import picocli.CommandLine.Spec;

/**
 * {@code gridmesh netcheck [--json] [--no-portmap] [--state-dir DIR]}: the running agent classifies its NAT afresh
 * on its WireGuard socket (STUN to the relay) and reports it.
 */
@Command(name = "netcheck", mixinStandardHelpOptions = true,
        description = "Report this node's network: NAT mapping type, public endpoints, UDP, port mapping, relay RTT.",
        footer = {"", "--json: udp, mapping (NO_NAT|ENDPOINT_INDEPENDENT|ENDPOINT_DEPENDENT|UNKNOWN), acrossAddresses,",
                "  publicEndpoints[], localEndpoints[], portMapping[] (PCP|NAT_PMP|UPNP_IGD), mappedEndpoint,",
                "  relayRttMillis (-1: no answer), stunServers[], candidates[]"})
public final class NetcheckCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--json", description = "Print the report as JSON.")
    boolean json;

    @Option(names = "--no-portmap", description = "Do not probe the gateway for port mapping protocols.")
    boolean noPortmap;

    @Option(names = "--state-dir", paramLabel = "DIR", defaultValue = "/var/lib/gridmesh",
            description = "The agent's state dir (default: ${DEFAULT-VALUE}).")
    Path stateDir;

    @Override
    public Integer call() throws CliException {
        JsonNode r;
        try {
            r = new LocalApiClient(AgentCommand.socket(stateDir), java.time.Duration.ofSeconds(20)).call("netcheck",
                    JsonNodeFactory.instance.objectNode().put("portmap", !noPortmap));
        } catch (LocalApiException e) {
            throw new CliException("netcheck", e.getMessage(), e);
        }
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            out.println(r.toString());
            return 0;
        }
        out.println("Report:");
        out.println("  * UDP: " + r.path("udp").asBoolean());
        out.println("  * NAT mapping: " + describe(r.path("mapping").asText())
                + (r.path("acrossAddresses").asBoolean() ? "" : " (STUN servers differ by port only)"));
        out.println("  * public endpoints: " + list(r.path("publicEndpoints")));
        out.println("  * local endpoints: " + list(r.path("localEndpoints")));
        out.println("  * port mapping: " + (r.path("portMapping").isEmpty() ? "none" : list(r.path("portMapping")))
                + (r.path("mappedEndpoint").isNull() || r.path("mappedEndpoint").isMissingNode() ? ""
                        : ", mapped " + r.path("mappedEndpoint").asText()));
        double rtt = r.path("relayRttMillis").asDouble(-1);
        out.println("  * relay RTT (STUN): " + (rtt < 0 ? "no answer" : String.format("%.1f ms", rtt))
                + " via " + list(r.path("stunServers")));
        out.println("  * candidates told to peers: " + list(r.path("candidates")));
        return 0;
    }

    static String describe(String mapping) {
        return switch (mapping) {
            case "NO_NAT" -> "no NAT";
            case "ENDPOINT_INDEPENDENT" -> "endpoint-independent (easy NAT)";
            case "ENDPOINT_DEPENDENT" -> "endpoint-dependent (hard / symmetric NAT)";
            default -> "unknown";
        };
    }

    static String list(JsonNode a) {
        if (a.isEmpty()) {
            return "-";
        }
        StringBuilder b = new StringBuilder();
        for (JsonNode n : a) {
            b.append(b.isEmpty() ? "" : ", ").append(n.asText());
        }
        return b.toString();
    }
}
