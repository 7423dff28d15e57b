package dev.gridmesh.cli.operator;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gridmesh.agent.control.StateDir;
import dev.gridmesh.agent.localapi.LocalApiServer;
import dev.gridmesh.cli.CliRun;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code gridmesh peers} against a stand-in local API socket; {@code gridmesh completion bash}. */
class OperatorCommandsTest {
    static final String STATUS = """
            {"schemaVersion":1,"self":{"name":"alpha","overlayIp":"100.64.0.3","connection":"CONNECTED"},
             "peers":[{"name":"beta","overlayIp":"100.64.0.2","nodeKey":"YarU=","online":true,"path":"relay",
                       "latestHandshakeEpochMillis":0,"rxBytes":1234,"txBytes":5678}]}""";

    @Test
    void peersTextAndJson(@TempDir Path dir) throws Exception {
        JsonNode status = new ObjectMapper().readTree(STATUS);
        try (LocalApiServer api = LocalApiServer.start(StateDir.socketPath(dir), Map.of("status", p -> status))) {
            CliRun text = CliRun.run("peers", "--state-dir", dir.toString());
            assertThat(text.exit()).as(text.err()).isZero();
            assertThat(text.out()).contains("PEER").containsPattern("beta +100\\.64\\.0\\.2 +yes +relay +never +1234 +5678");
            CliRun json = CliRun.run("peers", "--json", "--state-dir", dir.toString());
            assertThat(json.exit()).isZero();
            JsonNode j = new ObjectMapper().readTree(json.out());
            assertThat(j.get("schemaVersion").asInt()).isEqualTo(1);
            assertThat(j.get("peers").get(0).get("name").asText()).isEqualTo("beta");
        }
    }

    @Test
    void peersWithoutAgentIsOneLineExit1(@TempDir Path dir) {
        CliRun r = CliRun.run("peers", "--state-dir", dir.toString());
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.errLines()).hasSize(1);
        assertThat(r.err()).startsWith("gridmesh: peers: ");
    }

    @Test
    void logoutForgetsTheKeyItselfOrAsksTheRunningAgent(@TempDir Path dir) throws Exception {
        java.nio.file.Files.writeString(dir.resolve("node.key"), "k\n");
        try (StateDir running = StateDir.open(dir)) {
            CliRun noSocket = CliRun.run("logout", "--state-dir", dir.toString());
            assertThat(noSocket.exit()).isEqualTo(1);
            assertThat(noSocket.err()).startsWith("gridmesh: logout: ");
            assertThat(dir.resolve("node.key")).exists();
            JsonNode answer = new ObjectMapper().readTree("{\"mode\":\"LOGGED_OUT\",\"message\":\"node key deleted\"}");
            try (LocalApiServer api = LocalApiServer.start(StateDir.socketPath(dir), Map.of("logout", p -> answer))) {
                CliRun viaAgent = CliRun.run("logout", "--state-dir", dir.toString());
                assertThat(viaAgent.exit()).as(viaAgent.err()).isZero();
                assertThat(viaAgent.out()).contains("logout: node key deleted [logged_out]");
            }
        }
        CliRun ok = CliRun.run("logout", "--state-dir", dir.toString());
        assertThat(ok.exit()).as(ok.err()).isZero();
        assertThat(ok.out()).contains("deleted");
        assertThat(dir.resolve("node.key")).doesNotExist();
        assertThat(CliRun.run("logout", "--state-dir", dir.toString()).out()).contains("already logged out");
    }

    @Test
    void upAndDownTalkToTheAgentSocketOnly(@TempDir Path dir) throws Exception {
        java.util.List<JsonNode> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
        ObjectMapper m = new ObjectMapper();
        JsonNode downAnswer = m.readTree("{\"mode\":\"DOWN\",\"message\":\"left the mesh\"}");
        JsonNode upAnswer = m.readTree("{\"mode\":\"UP\",\"message\":\"connecting\"}");
        try (LocalApiServer api = LocalApiServer.start(StateDir.socketPath(dir), Map.of(
                "down", p -> downAnswer,
                "up", p -> {
                    seen.add(p);
                    return upAnswer;
                }))) {
            CliRun down = CliRun.run("down", "--state-dir", dir.toString());
            assertThat(down.exit()).as(down.err()).isZero();
            assertThat(down.out()).contains("down: left the mesh [down]");
            CliRun up = CliRun.run("up", "--state-dir", dir.toString(), "--server", "relay.example:8443", "--pin",
                    "sha256:00", "--token", "t");
            assertThat(up.exit()).as(up.err()).isZero();
            assertThat(seen.getFirst().path("server").asText()).isEqualTo("relay.example:8443");
            assertThat(seen.getFirst().path("pin").asText()).isEqualTo("sha256:00");
            assertThat(seen.getFirst().path("token").asText()).isEqualTo("t");
        }
        CliRun none = CliRun.run("down", "--state-dir", dir.toString());
        assertThat(none.exit()).isEqualTo(1);
        assertThat(none.errLines()).hasSize(1);
        assertThat(none.err()).startsWith("gridmesh: down: ");
    }

    @Test
    void bashCompletionComesFromTheModel() {
        CliRun r = CliRun.run("completion", "bash");
        assertThat(r.exit()).isZero();
        assertThat(r.out()).contains("complete -F", "peers", "agent", "relay", "--metrics-listen", "--config");
        assertThat(CliRun.run("completion", "fish").exit()).isEqualTo(2);
        assertThat(CliRun.run("completion").exit()).isEqualTo(2);
    }
}
