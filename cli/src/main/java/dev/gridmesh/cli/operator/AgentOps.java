package dev.gridmesh.cli.operator;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gridmesh.agent.control.StateDir;
import dev.gridmesh.agent.localapi.LocalApiClient;
import dev.gridmesh.agent.localapi.LocalApiException;
import dev.gridmesh.cli.CliException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Map;

/** Calls one of the running agent's up/down/logout ops over its local socket and prints {@code WHAT: message}. */
final class AgentOps {
    private AgentOps() {}

    static int call(String what, Path stateDir, Map<String, String> params, PrintWriter out) throws CliException {
        JsonNode r;
        try {
            r = new LocalApiClient(StateDir.socketPath(stateDir)).call(what, params);
        } catch (LocalApiException e) {
            throw new CliException(what, e.getMessage(), e);
        }
        out.println(what + ": " + r.path("message").asText() + " [" + r.path("mode").asText().toLowerCase(
                java.util.Locale.ROOT) + "]");
        return 0;
    }
}
