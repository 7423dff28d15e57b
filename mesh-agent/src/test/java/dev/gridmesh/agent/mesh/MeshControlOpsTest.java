package dev.gridmesh.agent.mesh;

import static dev.gridmesh.agent.mesh.MeshAgentRelayTest.WAIT;
import static dev.gridmesh.agent.mesh.MeshAgentRelayTest.await;
import static dev.gridmesh.agent.mesh.MeshAgentRelayTest.config;
import static dev.gridmesh.agent.mesh.MeshAgentRelayTest.ip;
import static dev.gridmesh.agent.mesh.MeshAgentRelayTest.relay;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gridmesh.agent.control.StateDir;
import dev.gridmesh.agent.localapi.LocalApiClient;
import dev.gridmesh.agent.localapi.LocalApiException;
import dev.gridmesh.agent.tun.FakeTun;
import dev.gridmesh.agent.tun.IpPackets;
import dev.gridmesh.protocol.relay.ControlMessage;
import dev.gridmesh.relay.server.RelayServer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * up / down / logout over the local socket only, two agents on fake TUNs and a real relay on loopback (no root):
 * down -> status DOWN, no peers, the other side sees it offline -> up -> CONNECTED with the same overlay IP and traffic
 * flows again; logout of the running agent deletes node.key and refuses a later up.
 */
class MeshControlOpsTest {
    @TempDir Path tmp;

    static double handshakes(io.prometheus.metrics.model.registry.PrometheusRegistry r) {
        for (io.prometheus.metrics.model.snapshots.MetricSnapshot s : r.scrape()) {
            if (s instanceof io.prometheus.metrics.model.snapshots.CounterSnapshot c
                    && c.getMetadata().getPrometheusName().equals("gridmesh_agent_handshakes")) {
                return c.getDataPoints().getFirst().getValue();
            }
        }
        throw new AssertionError("no gridmesh_agent_handshakes_total");
    }

    /** gridmesh_agent_wireguard_packets_total for one direction ("rx" or "tx"). */
    static double packets(io.prometheus.metrics.model.registry.PrometheusRegistry r, String direction) {
        for (io.prometheus.metrics.model.snapshots.MetricSnapshot s : r.scrape()) {
            if (s instanceof io.prometheus.metrics.model.snapshots.CounterSnapshot c
                    && c.getMetadata().getPrometheusName().equals("gridmesh_agent_wireguard_packets")) {
                for (var p : c.getDataPoints()) {
                    if (direction.equals(p.getLabels().get("direction"))) {
                        return p.getValue();
                    }
                }
            }
        }
        throw new AssertionError("no gridmesh_agent_wireguard_packets_total{direction=" + direction + "}");
    }

    @Test
    void downUpKeepsTheOverlayIpAndLogoutForgetsTheKey() throws Exception {
        try (RelayServer r = relay(tmp.resolve("relay"), 0)) {
            String token = r.admin().createToken(true, Duration.ofHours(1), Set.of()).token();
            FakeTun tunA = new FakeTun("fakeA");
            FakeTun tunB = new FakeTun("fakeB");
            try (MeshAgent a = MeshAgent.start(config(tmp.resolve("a"), r, r.pin(), token, "alpha", tunA));
                    MeshAgent b = MeshAgent.start(config(tmp.resolve("b"), r, r.pin(), token, "beta", tunB))) {
                ControlMessage.RegisterOk okA = a.firstRegistration().get(WAIT.toSeconds(), TimeUnit.SECONDS);
                ControlMessage.RegisterOk okB = b.firstRegistration().get(WAIT.toSeconds(), TimeUnit.SECONDS);
                await("a sees b", () -> a.status().peers().size() == 1 && a.status().peers().getFirst().online());
                await("b sees a", () -> b.status().peers().size() == 1 && b.status().peers().getFirst().online());
                LocalApiClient api = new LocalApiClient(StateDir.socketPath(tmp.resolve("a")));

                io.prometheus.metrics.model.registry.PrometheusRegistry metrics =
                        new io.prometheus.metrics.model.registry.PrometheusRegistry();
                dev.gridmesh.agent.metrics.AgentMetrics.register(metrics, () -> a);
                byte[] first = IpPackets.ipv4Udp(ip(okA), ip(okB), 1111, 2222, "before down".getBytes());
                tunA.inject(first);
                assertThat(tunB.awaitWritten(WAIT)).isEqualTo(first);
                double handshakes = handshakes(metrics);
                assertThat(handshakes).isGreaterThanOrEqualTo(1);

                JsonNode down = api.call(MeshControlOps.OP_DOWN, null);
                assertThat(down.path("mode").asText()).isEqualTo("DOWN");
                JsonNode st = api.call(MeshAgent.OP_STATUS, null);
                assertThat(st.path("self").path("connection").asText()).isEqualTo("DOWN");
                assertThat(st.path("peers").size()).isZero();
                assertThat(a.dataPlane().orElseThrow().engine().peers()).isEmpty();
                await("b sees a offline", () -> b.status().peers().size() == 1 && !b.status().peers().getFirst().online());
                assertThat(api.call(MeshControlOps.OP_DOWN, null).path("message").asText()).contains("already down");

                String wrongPin = "sha256:" + "0".repeat(64);
                JsonNode refused = api.call(MeshControlOps.OP_UP, Map.of("pin", wrongPin));
                assertThat(refused.path("mode").asText()).isEqualTo("UP"); // connecting: the refusal comes later
                await("a refused pin leaves a down, not stopped", () -> a.status().self().connection().equals("DOWN"));
                assertThat(a.stopped()).isNotDone();

                JsonNode up = api.call(MeshControlOps.OP_UP, Map.of("pin", r.pin()));
                assertThat(up.path("mode").asText()).isEqualTo("UP");
                await("a is connected again", () -> a.status().self().connection().equals("CONNECTED"));
                await("a sees b again", () -> a.status().peers().size() == 1 && a.status().peers().getFirst().online());
                st = api.call(MeshAgent.OP_STATUS, null);
                assertThat(st.path("self").path("overlayIp").asText()).isEqualTo(okA.overlayIp().getHostAddress());
                assertThat(r.hub().snapshot()).hasSize(2);

                tunB.drainWritten();
                byte[] hello = IpPackets.ipv4Udp(ip(okA), ip(okB), 1111, 2222, "after down/up".getBytes());
                tunA.inject(hello);
                assertThat(tunB.awaitWritten(WAIT)).isEqualTo(hello);
                assertThat(handshakes(metrics)).as("a new session after up").isGreaterThan(handshakes);
                assertThat(packets(metrics, "tx")).as("transport packets a sent").isGreaterThanOrEqualTo(2);
                io.prometheus.metrics.model.registry.PrometheusRegistry metricsB =
                        new io.prometheus.metrics.model.registry.PrometheusRegistry();
                dev.gridmesh.agent.metrics.AgentMetrics.register(metricsB, () -> b);
                assertThat(packets(metricsB, "rx")).as("transport packets b received").isGreaterThanOrEqualTo(2);

                assertThatThrownBy(() -> api.call(MeshControlOps.OP_UP, Map.of("server", "nonsense")))
                        .isInstanceOf(LocalApiException.class).hasMessageContaining("HOST:PORT");

                JsonNode out = api.call(MeshControlOps.OP_LOGOUT, null);
                assertThat(out.path("mode").asText()).isEqualTo("LOGGED_OUT");
                assertThat(tmp.resolve("a").resolve(StateDir.KEY_FILE)).doesNotExist();
                assertThat(api.call(MeshAgent.OP_STATUS, null).path("self").path("connection").asText())
                        .isEqualTo("LOGGED_OUT");
                assertThatThrownBy(() -> api.call(MeshControlOps.OP_UP, null))
                        .isInstanceOf(LocalApiException.class).hasMessageContaining("logged out");
                assertThat(a.stopped()).isNotDone();
            }
        }
    }
}
