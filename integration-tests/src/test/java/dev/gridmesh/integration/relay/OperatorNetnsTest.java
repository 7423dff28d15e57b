package dev.gridmesh.integration.relay;

import java.util.List;
import dev.gridmesh.testsupport.prom.PromText;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gridmesh.testsupport.lab.ExecResult;
import dev.gridmesh.testsupport.lab.Lab;
import dev.gridmesh.testsupport.lab.LabProcess;
import dev.gridmesh.testsupport.lab.NatKind;
import dev.gridmesh.testsupport.lab.Netns;
import dev.gridmesh.testsupport.portmap.MiniupnpdRouter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Issue 6's operator proof: the {@code gridmesh} CLI against real agents in namespaces ({@link PathLab}'s topology):
 * alpha behind a miniupnpd home router (MASQUERADE + port mapping), beta behind an endpoint-independent NAT, the
 * relay on the lab internet.
 * <ul>
 *   <li>{@code gridmesh status --json} of each agent agrees with {@code gridmesh relay nodes --json}: names, overlay
 *       IPs, online;</li>
 *   <li>{@code gridmesh peers --json} lists the other node, online;</li>
 *   <li>{@code gridmesh down} then {@code gridmesh up}: DOWN with the TUN kept, then CONNECTED with the same overlay
 *       IP, and ICMP over the mesh works again;</li>
 *   <li>SIGTERM to alpha: exit 0 within 5 s, no {@code gm0} left in its namespace, no {@code agent.sock}, and
 *       miniupnpd's nft DNAT chain no longer holds alpha's mapping.</li>
 * </ul>
 * Waits poll the agents' local socket directly (cheap); every asserted reading is the CLI's own output.
 * Run as root: {@code mvn -o -pl integration-tests test -Pit -Dtest=OperatorNetnsTest}. Logs:
 * {@code integration-tests/target/netns-logs/operator/}.
 */
@Tag("netns")
class OperatorNetnsTest {
    private static final String METRICS = "127.0.0.1:9464";

    private static PromText scrapeMetrics(Netns ns) {
        return PromText.parse(ns.execOk("curl", "-sf", "--max-time", "5", "http://" + METRICS + "/metrics").stdout());
    }

    static final String ALPHA_LAN = "198.18.1.2";

    @BeforeAll
    static void build() {
        Lab.requirePreconditions("socat", "ss", "miniupnpd", "turnserver", "nft", "conntrack");
        GridmeshCli.ensureBuilt();
    }

    @Test
    void cliReportsTheMeshCyclesDownUpAndSigtermCleansUp() {
        try (Lab lab = Lab.open("operator", "socat", "ss", "miniupnpd", "turnserver", "nft", "conntrack");
                PathLab pl = new PathLab(lab)) {
            // alpha's router: miniupnpd (its STUN check needs two more addresses on the internet side of its WAN)
            pl.inet.execOk("ip", "addr", "add", "198.18.10.5/24", "dev", pl.aWan.bIf());
            pl.inet.execOk("ip", "addr", "add", "198.18.10.6/24", "dev", pl.aWan.bIf());
            PathLab.reconfigure(pl.na, NatKind.ROUTED, pl.aLan, pl.aWan, "198.18.0.0/16");
            MiniupnpdRouter router = MiniupnpdRouter.start(lab, pl.na, pl.aLan.bIf(), "198.18.1.0/24", pl.aWan.aIf(),
                    pl.inet, "198.18.10.5", "198.18.10.6");
            PathLab.reconfigure(pl.nb, NatKind.ENDPOINT_INDEPENDENT, pl.bLan, pl.bWan, "198.18.2.0/24");
            pl.startRelayAndStun();

            LabProcess alpha = pl.agent(pl.a, "alpha", "alpha", pl.dirA, "198.18.10.1",
                    "--metrics-listen", METRICS); // loopback of alpha's own namespace
            LabProcess beta = pl.agent(pl.b, "beta", "beta", pl.dirB, "198.18.20.1");
            try {
                lab.await("alpha and beta see each other online", Duration.ofSeconds(60), () -> {
                    assertThat(alpha.isAlive()).as("alpha running; " + alpha.stderr()).isTrue();
                    assertThat(beta.isAlive()).as("beta running; " + beta.stderr()).isTrue();
                    return PathLab.online(pl.dirA, "beta") && PathLab.online(pl.dirB, "alpha");
                });
                lab.await("alpha holds a port mapping on miniupnpd", Duration.ofSeconds(30),
                        () -> router.natRules().contains(ALPHA_LAN));
                lab.note("miniupnpd rules with alpha up:\n" + router.natRules());

                // ---- status --json (agents) matches relay nodes --json (relay)
                JsonNode stA = cliJson(pl.a, "status", "--json", "--state-dir", pl.dirA);
                JsonNode stB = cliJson(pl.b, "status", "--json", "--state-dir", pl.dirB);
                JsonNode nodes = cliJson(pl.inet, "relay", "nodes", "--json", "--state-dir", pl.relayDir);
                lab.note("status alpha: " + stA + "\nstatus beta: " + stB + "\nrelay nodes: " + nodes);
                Map<String, JsonNode> byName = new HashMap<>();
                for (JsonNode n : nodes.path("nodes")) {
                    byName.put(n.path("name").asText(), n);
                }
                assertThat(byName).containsOnlyKeys("alpha", "beta");
                for (JsonNode st : new JsonNode[] {stA, stB}) {
                    JsonNode self = st.path("self");
                    assertThat(self.path("connection").asText()).isEqualTo("CONNECTED");
                    assertThat(self.path("tun").asText()).isEqualTo("gm0");
                    JsonNode atRelay = byName.get(self.path("name").asText());
                    assertThat(atRelay).as("relay knows " + self.path("name")).isNotNull();
                    assertThat(atRelay.path("overlayIp").asText()).isEqualTo(self.path("overlayIp").asText());
                    assertThat(atRelay.path("nodeKey").asText()).isEqualTo(self.path("nodeKey").asText());
                    assertThat(atRelay.path("online").asBoolean()).isTrue();
                    assertThat(st.path("peers")).hasSize(1);
                    JsonNode peer = st.path("peers").get(0);
                    JsonNode peerAtRelay = byName.get(peer.path("name").asText());
                    assertThat(peerAtRelay).isNotNull();
                    assertThat(peer.path("overlayIp").asText()).isEqualTo(peerAtRelay.path("overlayIp").asText());
                    assertThat(peer.path("online").asBoolean()).isEqualTo(peerAtRelay.path("online").asBoolean());
                }
                String ipA = stA.path("self").path("overlayIp").asText();
                String ipB = stB.path("self").path("overlayIp").asText();
                assertThat(ipA).startsWith("100.").isNotEqualTo(ipB);

                // ---- peers --json lists the other node
                JsonNode peers = cliJson(pl.a, "peers", "--json", "--state-dir", pl.dirA);
                assertThat(peers.path("schemaVersion").asInt()).isEqualTo(1);
                assertThat(peers.path("peers")).hasSize(1);
                assertThat(peers.path("peers").get(0).path("name").asText()).isEqualTo("beta");
                assertThat(peers.path("peers").get(0).path("overlayIp").asText()).isEqualTo(ipB);
                assertThat(peers.path("peers").get(0).path("online").asBoolean()).isTrue();
                // ---- metrics: scraped over HTTP in alpha's namespace, parsed strictly, counters move after a ping
                PromText before = scrapeMetrics(pl.a);
                lab.await("ICMP alpha -> beta over the mesh", Duration.ofSeconds(15), () -> pl.a.pingOnce(ipB));
                PromText after = scrapeMetrics(pl.a);
                for (String series : List.of("gridmesh_agent_wireguard_packets_total{direction=\"tx\"}",
                        "gridmesh_agent_wireguard_packets_total{direction=\"rx\"}",
                        "gridmesh_agent_wireguard_bytes_total{direction=\"tx\"}")) {
                    assertThat(after.get(series)).as(series + " after a ping").isGreaterThan(before.get(series));
                }
                assertThat(after.get("gridmesh_agent_handshakes_total")).isPositive();
                assertThat(after.get("gridmesh_agent_relay_connected")).isEqualTo(1);

                // ---- down, then up: same overlay IP, traffic again
                cliOk(pl.a, "down", "--state-dir", pl.dirA);
                JsonNode down = cliJson(pl.a, "status", "--json", "--state-dir", pl.dirA);
                assertThat(down.path("self").path("connection").asText()).isEqualTo("DOWN");
                assertThat(down.path("peers")).isEmpty();
                assertThat(pl.a.execOk("ip", "-br", "addr", "show", "gm0").stdout()).as("TUN kept while down")
                        .contains(ipA + "/");
                lab.await("the relay reports alpha offline", Duration.ofSeconds(20), () -> {
                    JsonNode n = PathLab.peer(PathLab.status(pl.dirB), "alpha");
                    return n != null && !n.path("online").asBoolean();
                });
                cliOk(pl.a, "up", "--state-dir", pl.dirA);
                lab.await("alpha CONNECTED again and sees beta", Duration.ofSeconds(30), () -> {
                    JsonNode s = PathLab.status(pl.dirA);
                    return s != null && "CONNECTED".equals(s.path("self").path("connection").asText())
                            && PathLab.online(pl.dirA, "beta") && PathLab.online(pl.dirB, "alpha");
                });
                JsonNode up = cliJson(pl.a, "status", "--json", "--state-dir", pl.dirA);
                assertThat(up.path("self").path("overlayIp").asText()).as("overlay IP kept across down/up")
                        .isEqualTo(ipA);
                lab.await("ICMP alpha -> beta after up", Duration.ofSeconds(20), () -> pl.a.pingOnce(ipB));
                assertThat(pl.b.pingOnce(ipA)).as("ICMP beta -> alpha after up").isTrue();
                JsonNode nodesAfter = cliJson(pl.inet, "relay", "nodes", "--json", "--state-dir", pl.relayDir);
                for (JsonNode n : nodesAfter.path("nodes")) {
                    if (n.path("name").asText().equals("alpha")) {
                        assertThat(n.path("overlayIp").asText()).isEqualTo(ipA);
                        assertThat(n.path("online").asBoolean()).isTrue();
                    }
                }
                lab.await("alpha's port mapping still held after up", Duration.ofSeconds(30),
                        () -> router.natRules().contains(ALPHA_LAN));

                // ---- SIGTERM: exit 0 within 5 s, TUN, socket and port mapping gone
                long t0 = System.nanoTime();
                pl.a.execOk("kill", "-TERM", Long.toString(alpha.pid()));
                int exit = alpha.waitFor(Duration.ofSeconds(5));
                Duration took = Duration.ofNanos(System.nanoTime() - t0);
                lab.note("alpha exited " + exit + " after SIGTERM in " + took.toMillis() + " ms");
                assertThat(exit).as("exit code; stderr: " + alpha.stderr()).isZero();
                assertThat(took).isLessThan(Duration.ofSeconds(5));
                assertThat(pl.a.execOk("ip", "-br", "link").stdout()).as("TUN gone").doesNotContain("gm0");
                assertThat(Path.of(pl.dirA, "agent.sock")).as("socket gone").doesNotExist();
                String rules = router.natRules();
                lab.note("miniupnpd rules after SIGTERM:\n" + rules);
                assertThat(rules).as("port mapping removed").doesNotContain(ALPHA_LAN);
                assertThat(beta.isAlive()).isTrue();
            } finally {
                alpha.stop();
                beta.stop();
            }
        }
    }

    static ExecResult cliOk(Netns ns, String... args) {
        ExecResult r = ns.exec(GridmeshCli.command(args).toArray(String[]::new));
        assertThat(r.ok()).as("gridmesh " + String.join(" ", args) + ": " + r.stderr()).isTrue();
        return r;
    }

    static JsonNode cliJson(Netns ns, String... args) {
        ExecResult r = cliOk(ns, args);
        try {
            return RelayMeshTest.JSON.readTree(r.stdout());
        } catch (java.io.IOException e) {
            throw new AssertionError("gridmesh " + String.join(" ", args) + ": not JSON: " + r.stdout(), e);
        }
    }
}
