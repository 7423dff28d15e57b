package dev.gridmesh.cli.agent;

import dev.gridmesh.cli.wgquick.FakeTun;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gridmesh.agent.dataplane.DataPlaneOptions;
import dev.gridmesh.cli.CliRun;
import dev.gridmesh.relay.server.RelayConfig;
import dev.gridmesh.relay.server.RelayServer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code gridmesh agent} and {@code gridmesh status} in-process against a relay on loopback, on a fake TUN. */
class AgentCommandTest {
    @TempDir Path tmp;

    static RelayServer relay(Path dir) throws Exception {
        InetAddress lo = InetAddress.getLoopbackAddress();
        return RelayServer.start(RelayConfig.defaults(dir).withListen(new InetSocketAddress(lo, 0), null), Clock.systemUTC());
    }

    static String server(RelayServer r) {
        return "127.0.0.1:" + r.tcpAddress().getPort();
    }

    @Test
    void aBadTokenIsOneLineAndExit1AndLeavesNoKey() throws Exception {
        try (RelayServer r = relay(tmp.resolve("relay"))) {
            Path dir = tmp.resolve("agent");
            CliRun run = CliRun.run("agent", "--server", server(r), "--pin", r.pin(), "--token", "gmt_wrong",
                    "--hostname", "a", "--state-dir", dir.toString());
            assertThat(run.exit()).isEqualTo(1);
            assertThat(run.errLines()).hasSize(1);
            assertThat(run.err()).startsWith("gridmesh: agent: relay refused: TOKEN_INVALID");
            assertThat(dir.resolve("node.key")).doesNotExist();
            assertThat(r.hub().snapshot()).isEmpty();
        }
    }

    @Test
    void usageErrorsAreExit2OrOneLine() {
        assertThat(CliRun.run("agent", "--server", "h:1").exit()).as("no --pin/--ca").isEqualTo(2);
        CliRun bad = CliRun.run("agent", "--server", "h:1", "--pin", "sha256:abc", "--state-dir", tmp.toString());
        assertThat(bad.exit()).isEqualTo(1);
        assertThat(bad.err()).contains("--pin").contains("64 hex digits");
        CliRun noToken = CliRun.run("agent", "--server", "127.0.0.1:1", "--pin", "sha256:" + "a".repeat(64),
                "--state-dir", tmp.resolve("x").toString());
        assertThat(noToken.exit()).isEqualTo(1);
        assertThat(noToken.err()).contains("the first start needs --token");
    }

    @Test
    void agentRunsAndStatusTalksToItThroughTheSocket() throws Exception {
        try (RelayServer r = relay(tmp.resolve("relay"))) {
            String token = r.admin().createToken(false, Duration.ofHours(1), Set.of()).token();
            Path dir = tmp.resolve("agent");
            AgentCommand cmd = new AgentCommand(DataPlaneOptions.withTun(FakeTun::new));
            CommandLine.IFactory f = new CommandLine.IFactory() {
                @Override
                public <K> K create(Class<K> cls) throws Exception {
                    return cls == AgentCommand.class ? cls.cast(cmd) : CommandLine.defaultFactory().create(cls);
                }
            };
            CompletableFuture<CliRun> agent = CompletableFuture.supplyAsync(() -> CliRun.withFactory(f, "", "agent",
                    "--server", server(r), "--pin", r.pin(), "--token", token, "--hostname", "worker 1",
                    "--state-dir", dir.toString(), "--tun", "fake0"));
            JsonNode st = null;
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (System.nanoTime() < end) {
                CliRun s = CliRun.run("status", "--json", "--state-dir", dir.toString());
                if (s.exit() == 0) {
                    st = new ObjectMapper().readTree(s.out());
                    if ("CONNECTED".equals(st.path("self").path("connection").asText())) {
                        break;
                    }
                }
                Thread.sleep(50); // bounded poll of the agent's socket
            }
            assertThat(st).isNotNull();
            assertThat(st.path("self").path("name").asText()).isEqualTo("worker-1");
            assertThat(st.path("self").path("overlayIp").asText()).startsWith("100.");
            assertThat(st.path("self").path("tun").asText()).isEqualTo("fake0");
            CliRun text = CliRun.run("status", "--state-dir", dir.toString());
            assertThat(text.exit()).isEqualTo(0);
            assertThat(text.out()).contains("worker-1").contains("CONNECTED").contains("PEER");
            CliRun second = CliRun.run("agent", "--server", server(r), "--pin", r.pin(), "--state-dir", dir.toString());
            assertThat(second.exit()).isEqualTo(1);
            assertThat(second.err()).contains("in use by another gridmesh agent");

            cmd.stop("test");
            CliRun done = agent.get(20, TimeUnit.SECONDS);
            assertThat(done.exit()).isEqualTo(0);
            assertThat(done.out()).startsWith("agent: node worker-1 100.");
            assertThat(dir.resolve("node.key")).exists();
            CliRun gone = CliRun.run("status", "--state-dir", dir.toString());
            assertThat(gone.exit()).isEqualTo(1);
        }
    }
}
