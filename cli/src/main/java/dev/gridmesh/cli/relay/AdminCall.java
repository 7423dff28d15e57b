package dev.gridmesh.cli.relay;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gridmesh.cli.CliException;
import dev.gridmesh.relay.admin.AdminClient;
import java.io.IOException;
import java.nio.file.Path;
import java.util.function.Consumer;

/** One request to the running relay's admin socket; a failure becomes a one-line {@link CliException}. */
final class AdminCall {
    private AdminCall() {}

    static JsonNode call(String what, Path stateDir, String op, Consumer<ObjectNode> fill) throws CliException {
        try (AdminClient c = AdminClient.connect(stateDir)) {
            ObjectNode req = c.newRequest(op);
            fill.accept(req);
            JsonNode reply = c.call(req);
            if (!reply.path("ok").asBoolean(false)) {
                throw new CliException(what, reply.path("error").asText("relay refused the request"));
            }
            return reply;
        } catch (IOException e) {
            throw new CliException(what, e.getMessage(), e);
        }
    }
}
