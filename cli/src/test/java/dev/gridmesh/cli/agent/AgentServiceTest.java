package dev.gridmesh.cli.agent;

import dev.gridmesh.cli.wgquick.FakeTun;
import static org.assertj.core.api.Assertions.assertThat;

import dev.gridmesh.agent.dataplane.DataPlaneOptions;
import dev.gridmesh.cli.GridmeshCommand;
import dev.gridmesh.relay.server.RelayServer;
import java.io.ByteArrayInputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code gridmesh agent --metrics-listen 127.0.0.1:0} in-process on a fake TUN against a loopback relay: the metrics
 * endpoint reflects the relay connection and a second node joining; a stop returns within 5 s and closes the
 * endpoint.
 */
class AgentServiceTest {
    @TempDir Path tmp;

    /** An agent run whose stdout can be read while it runs. */
    record Running(AgentCommand cmd, StringWriter out, StringWriter err, CompletableFuture<Integer> exit) {}

    static Running start(Path dir, RelayServer r, String token, String name, String... extra) {
        AgentCommand cmd = new AgentCommand(DataPlaneOptions.withTun(FakeTun::new));
        CommandLine.IFactory f = new CommandLine.IFactory() {
            @Override
            public <K> K create(Class<K> cls) throws Exception {
                return cls == AgentCommand.class ? cls.cast(cmd) : CommandLine.defaultFactory().create(cls);
            }
        };
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        java.util.List<String> args = new java.util.ArrayList<>(java.util.List.of("agent", "--server",
                AgentCommandTest.server(r), "--pin", r.pin(), "--token", token, "--hostname", name, "--state-dir",
                dir.toString(), "--tun", "fake" + name.length()));
        args.addAll(java.util.List.of(extra));
        CompletableFuture<Integer> exit = CompletableFuture.supplyAsync(() -> GridmeshCommand.run(f,
                new ByteArrayInputStream(new byte[0]), new PrintWriter(out, true), new PrintWriter(err, true),
                args.toArray(String[]::new)));
        return new Running(cmd, out, err, exit);
    }

    static String scrape(HttpClient http, int port) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics"))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString()).body();
    }

    @Test
    void metricsFollowTheRelayConnectionAndStopIsQuick() throws Exception {
        try (RelayServer r = AgentCommandTest.relay(tmp.resolve("relay"))) {
            String t1 = r.admin().createToken(false, Duration.ofHours(1), Set.of()).token();
            String t2 = r.admin().createToken(false, Duration.ofHours(1), Set.of()).token();
            Running a = start(tmp.resolve("a"), r, t1, "alpha", "--metrics-listen", "127.0.0.1:0");
            Pattern portLine = Pattern.compile("agent: metrics on http port (\\d+)");
            int port = -1;
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (port < 0 && System.nanoTime() < end && !a.exit().isDone()) {
                Matcher m = portLine.matcher(a.out().toString());
                if (m.find()) {
                    port = Integer.parseInt(m.group(1));
                } else {
                    Thread.sleep(20); // bounded poll of the agent's stdout
                }
            }
            assertThat(port).as(a.out() + "\n" + a.err()).isPositive();
            HttpClient http = HttpClient.newHttpClient();
            String m1 = scrape(http, port);
            assertThat(m1).contains("gridmesh_agent_relay_connected 1.0", "gridmesh_agent_relay_registrations_total 1.0",
                    "gridmesh_agent_relay_connection_state{state=\"CONNECTED\"} 1.0",
                    "gridmesh_agent_peers{path=\"relay\"} 0.0");

            Running b = start(tmp.resolve("b"), r, t2, "beta");
            String m2 = m1;
            end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (!m2.contains("gridmesh_agent_peers_online 1.0") && System.nanoTime() < end) {
                Thread.sleep(20); // bounded poll: the peer map reaches alpha through the relay
                m2 = scrape(http, port);
            }
            assertThat(m2).contains("gridmesh_agent_peers{path=\"relay\"} 1.0", "gridmesh_agent_peers_online 1.0");

            long t0 = System.nanoTime();
            a.cmd().stop("SIGTERM");
            assertThat(a.exit().get(5, TimeUnit.SECONDS)).isZero();
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(5));
            int closedPort = port;
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> scrape(http, closedPort))
                    .isInstanceOf(java.io.IOException.class);
            b.cmd().stop("test");
            assertThat(b.exit().get(10, TimeUnit.SECONDS)).isZero();
        }
    }
}
