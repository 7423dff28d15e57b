package dev.gridmesh.cli.tunnel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gridmesh.cli.CliRun;
import dev.gridmesh.cli.service.DaemonService;
import dev.gridmesh.cli.service.RelayService;
import dev.gridmesh.crypto.NodePrivateKey;
import dev.gridmesh.protocol.relay.FrameHeader;
import dev.gridmesh.protocol.relay.FrameType;
import dev.gridmesh.protocol.stream.ResetCode;
import dev.gridmesh.protocol.stream.StreamTarget;
import dev.gridmesh.relay.server.RelayConfig;
import dev.gridmesh.relay.server.RelayServer;
import dev.gridmesh.testsupport.prom.PromText;
import dev.gridmesh.testsupport.relay.RelayTestAgent;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The relay's tunnel counters in {@code gridmesh relay stats} and its Prometheus metrics, moved by real engineer connections ({@link TunnelClient})
 * to a relay in this JVM and a stand-in agent that refuses one stream (allow-list) and serves the next.
 */
class TunnelCountersTest {
    static byte[] frame(FrameType type, long id, byte[] payload) {
        byte[] f = new byte[FrameHeader.SIZE + payload.length];
        new FrameHeader(type, 0, id, payload.length).encode(f, 0);
        System.arraycopy(payload, 0, f, FrameHeader.SIZE, payload.length);
        return f;
    }

    static byte[] reset(ResetCode code, String reason) {
        byte[] r = reason.getBytes(StandardCharsets.UTF_8);
        byte[] p = new byte[2 + r.length];
        p[0] = (byte) (code.code() >> 8);
        p[1] = (byte) code.code();
        System.arraycopy(r, 0, p, 2, r.length);
        return p;
    }

    static void await(String what, BooleanSupplier cond) {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!cond.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            LockSupport.parkNanos(10_000_000);
        }
    }

    static PromText scrape(int port) throws Exception {
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + port + "/metrics")).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
        return PromText.parse(r.body());
    }

    @Test
    void statsCountRefusalsByReasonStreamsAndBytes(@TempDir Path dir) throws Exception {
        InetAddress lo = InetAddress.getLoopbackAddress();
        String sd = dir.toString();
        RelayConfig cfg = RelayConfig.defaults(dir).withListen(new InetSocketAddress(lo, 0), null);
        try (RelayServer r = RelayServer.start(cfg, Clock.systemUTC());
                DaemonService svc = RelayService.start(r, "127.0.0.1:0", true)) {
            String join = CliRun.run("relay", "token", "create", "--state-dir", sd).out().strip();
            assertThat(CliRun.run("relay", "user", "create", "alice", "--state-dir", sd).exit()).isZero();
            String token = CliRun.run("relay", "user", "token", "alice", "--state-dir", sd).out().strip();
            Files.writeString(dir.resolve("tunnel-policy"), "allow user:alice node:worker 22\nallow user:alice node:ghost 22\n");
            Credentials alice = Credentials.of("127.0.0.1:" + r.tcpAddress().getPort(), r.pin(), token);
            Credentials forged = Credentials.of("127.0.0.1:" + r.tcpAddress().getPort(), r.pin(),
                    "gmu_deadbeef_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
            try (RelayTestAgent agent = RelayTestAgent.connect(r.tcpAddress(), r.pin(), Duration.ofSeconds(10))) {
                agent.register(NodePrivateKey.generate(), "worker", join);
                // the stand-in agent: refuses the first stream (allow-list), serves the second: "hello" then EOF
                Thread served = Thread.ofVirtual().start(() -> {
                    try {
                        int opens = 0;
                        while (true) {
                            RelayTestAgent.Frame f = agent.readFrame();
                            long id = f.header().streamId();
                            if (f.header().type() == FrameType.STREAM_OPEN && ++opens == 1) {
                                agent.sendRaw(frame(FrameType.STREAM_RESET, id, reset(ResetCode.DENIED,
                                        "port 22 is not in worker's allow-list (test)")));
                            } else if (f.header().type() == FrameType.STREAM_OPEN) {
                                agent.sendRaw(frame(FrameType.STREAM_OPEN, id, new byte[0]));
                                agent.sendRaw(frame(FrameType.STREAM_DATA, id, "hello".getBytes(StandardCharsets.UTF_8)));
                                agent.sendRaw(frame(FrameType.STREAM_HALF_CLOSE, id, new byte[0]));
                            } else if (f.header().type() == FrameType.STREAM_HALF_CLOSE) {
                                return;
                            }
                        }
                    } catch (java.io.IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                });
                assertThatThrownBy(() -> new TunnelClient(forged).open(new StreamTarget("worker", 22)))
                        .hasMessageContaining("token not recognised");
                assertThatThrownBy(() -> new TunnelClient(alice).open(new StreamTarget("worker", 23)))
                        .hasMessageContaining("policy: user alice may not reach worker:23");
                assertThatThrownBy(() -> new TunnelClient(alice).open(new StreamTarget("ghost", 22)))
                        .hasMessageContaining("no node named ghost");
                assertThatThrownBy(() -> new TunnelClient(alice).open(new StreamTarget("worker", 22)))
                        .hasMessageContaining("allow-list (test)");
                ByteArrayOutputStream got = new ByteArrayOutputStream();
                try (TunnelClient ok = new TunnelClient(alice)) {
                    ok.open(new StreamTarget("worker", 22));
                    ok.pump(new ByteArrayInputStream("abc".getBytes(StandardCharsets.UTF_8)), got, true);
                }
                served.join(Duration.ofSeconds(10));
                assertThat(got.toString(StandardCharsets.UTF_8)).isEqualTo("hello");
                await("the clean close counted", () -> CliRun.run("relay", "stats", "--state-dir", sd).out()
                        .contains("tunnel_streams_closed_ok 1"));
                CliRun stats = CliRun.run("relay", "stats", "--state-dir", sd);
                assertThat(stats.exit()).as(stats.err()).isZero();
                assertThat(stats.out()).contains("tunnel_streams_opened 2\n", "tunnel_streams_accepted 1\n",
                        "tunnel_denied_token 1\n", "tunnel_denied_policy 1\n", "tunnel_denied_no_such_node 1\n",
                        "tunnel_denied_node_offline 0\n", "tunnel_denied_agent_allow_list 1\n",
                        "tunnel_streams_closed_ok 1\n", "tunnel_streams_closed_reset 0\n", "tunnel_bytes_to_node 3\n",
                        "tunnel_bytes_from_node 5\n", "tunnel_streams_open 0\n");
                assertThat(r.tunnels().streamsDenied()).isEqualTo(4);
                CliRun json = CliRun.run("relay", "stats", "--state-dir", sd, "--json");
                assertThat(json.out()).contains("\"tunnels\":{\"streams_opened\":2,");
                PromText m = scrape(svc.metricsPort());
                assertThat(m.get("gridmesh_relay_tunnel_streams_total{outcome=\"opened\"}")).isEqualTo(2);
                assertThat(m.get("gridmesh_relay_tunnel_streams_total{outcome=\"denied\"}")).isEqualTo(4);
                assertThat(m.get("gridmesh_relay_tunnel_streams_accepted_total")).isEqualTo(1);
                assertThat(m.get("gridmesh_relay_tunnel_streams_closed_total{result=\"ok\"}")).isEqualTo(1);
                assertThat(m.get("gridmesh_relay_tunnel_denied_total{reason=\"token\"}")).isEqualTo(1);
                assertThat(m.get("gridmesh_relay_tunnel_denied_total{reason=\"policy\"}")).isEqualTo(1);
                assertThat(m.get("gridmesh_relay_tunnel_denied_total{reason=\"no_such_node\"}")).isEqualTo(1);
                assertThat(m.get("gridmesh_relay_tunnel_denied_total{reason=\"agent_allow_list\"}")).isEqualTo(1);
                assertThat(m.get("gridmesh_relay_tunnel_denied_total{reason=\"timeout\"}")).isZero();
                assertThat(m.get("gridmesh_relay_tunnel_bytes_total{direction=\"to_node\"}")).isEqualTo(3);
                assertThat(m.get("gridmesh_relay_tunnel_bytes_total{direction=\"from_node\"}")).isEqualTo(5);
                assertThat(m.types).containsEntry("gridmesh_relay_tunnel_denied_total", "counter")
                        .containsEntry("gridmesh_relay_tunnel_bytes_total", "counter");
            }
        }
    }
}
