package dev.gridmesh.integration.relay;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gridmesh.testsupport.lab.ExecResult;
import dev.gridmesh.testsupport.lab.Lab;
import dev.gridmesh.testsupport.lab.LabProcess;
import dev.gridmesh.testsupport.lab.Link;
import dev.gridmesh.testsupport.lab.NatKind;
import dev.gridmesh.testsupport.lab.Netns;
import dev.gridmesh.testsupport.lab.Traffic;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Two agents behind endpoint-dependent ("symmetric") NATs, with UDP between the NATs dropped, so that only the relay
 * can carry their traffic: they register with a join token, see each other, ping, move 50 MB over TCP (SHA-256
 * checked at both ends), all via the relay; then the relay is killed with SIGKILL and started again on the same
 * state dir, and both agents come back with the same overlay IPs and traffic resumes without touching the agents.
 * <pre>
 *  gm&lt;run&gt;a            gm&lt;run&gt;na                 gm&lt;run&gt;inet                  gm&lt;run&gt;nb            gm&lt;run&gt;b
 *  agent alpha       NAT (MASQUERADE          "internet"                  NAT (MASQUERADE    agent beta
 *  gm0 100.64.x.y    --random-fully)          gridmesh relay :PORT        --random-fully)    gm0 100.64.x.z
 *  198.18.1.2/24 --- 198.18.1.1 | 198.18.10.2 --- 198.18.10.1              198.18.20.2 | 198.18.2.1 --- 198.18.2.2/24
 *                                                 198.18.20.1 ---------------'
 *                                             FORWARD -p udp -j DROP (no direct path between the NATs)
 * </pre>
 * Run as root: {@code mvn -o -pl integration-tests test -Pit -Dtest=RelayMeshTest}. Logs:
 * {@code integration-tests/target/netns-logs/relay-mesh/}.
 */
@Tag("netns")
class RelayMeshTest {
    static final long BULK_BYTES = 50L << 20;
    static final Pattern PORT = Pattern.compile("tls on tcp \\S*:(\\d+)");
    static final Pattern PIN = Pattern.compile("certificate pin (sha256:[0-9a-f]{64})");
    static final ObjectMapper JSON = new ObjectMapper();

    @BeforeAll
    static void build() {
        Lab.requirePreconditions("socat", "ss", "sha256sum");
        GridmeshCli.ensureBuilt();
    }

    record Relay(LabProcess process, int port, String pin) {}

    @Test
    void agentsBehindSymmetricNatsTalkThroughTheRelayAndSurviveItsRestart() {
        try (Lab lab = Lab.open("relay-mesh", "socat", "ss", "sha256sum")) {
            Netns a = lab.netns("a");
            Netns na = lab.netns("na");
            Netns inet = lab.netns("inet");
            Netns nb = lab.netns("nb");
            Netns b = lab.netns("b");
            Link aLan = lab.link(a, "198.18.1.2/24", na, "198.18.1.1/24");
            Link aWan = lab.link(na, "198.18.10.2/24", inet, "198.18.10.1/24");
            Link bLan = lab.link(b, "198.18.2.2/24", nb, "198.18.2.1/24");
            Link bWan = lab.link(nb, "198.18.20.2/24", inet, "198.18.20.1/24");
            a.defaultRoute(aLan.bIp());
            b.defaultRoute(bLan.bIp());
            na.defaultRoute(aWan.bIp());
            nb.defaultRoute(bWan.bIp());
            na.configureNat(NatKind.ENDPOINT_DEPENDENT, aLan.bIf(), aWan.aIf(), "198.18.1.0/24");
            nb.configureNat(NatKind.ENDPOINT_DEPENDENT, bLan.bIf(), bWan.aIf(), "198.18.2.0/24");
            inet.enableForwarding();
            inet.execOk("iptables", "-A", "FORWARD", "-p", "udp", "-j", "DROP");

            String relayDir = fresh(lab, "relay-state");
            String dirA = fresh(lab, "agent-a");
            String dirB = fresh(lab, "agent-b");
            List<LabProcess> agents = new ArrayList<>();
            AtomicReference<LabProcess> relayProc = new AtomicReference<>();
            try {
                Relay relay = startRelay(lab, inet, relayDir, 0, "relay-1");
                relayProc.set(relay.process());
                String token = inet.execOk(GridmeshCli.command("relay", "token", "create", "--reusable", "--expires", "1h",
                        "--state-dir", relayDir).toArray(String[]::new)).stdout().strip();
                assertThat(token).isNotBlank();

                agents.add(a.spawn("agent-a", GridmeshCli.daemon("agent", "--server", aWan.bIp() + ":" + relay.port(),
                        "--pin", relay.pin(), "--token", token, "--hostname", "alpha", "--state-dir", dirA, "--tun", "gm0")));
                agents.add(b.spawn("agent-b", GridmeshCli.daemon("agent", "--server", bWan.bIp() + ":" + relay.port(),
                        "--pin", relay.pin(), "--token", token, "--hostname", "beta", "--state-dir", dirB, "--tun", "gm0")));

                // wait on the agents' own output first: polling with CLI JVMs would slow the JVMs being waited for
                lab.await("both agents registered", Duration.ofSeconds(90), () -> agents.stream()
                        .allMatch(p -> p.stdout().contains("agent: node ")) || agents.stream().anyMatch(p -> !p.isAlive()));
                for (LabProcess p : agents) {
                    assertThat(p.isAlive()).as(p.name() + " running; stderr: " + p.stderr()).isTrue();
                }
                lab.await("both agents online at the relay", Duration.ofSeconds(60), () -> {
                    JsonNode n = json(inet, "relay", "nodes", "--json", "--state-dir", relayDir);
                    return n != null && n.path("nodes").size() == 2 && n.path("nodes").get(0).path("online").asBoolean()
                            && n.path("nodes").get(1).path("online").asBoolean();
                });
                lab.note("relay nodes:\n" + inet.execOk(GridmeshCli.command("relay", "nodes", "--state-dir", relayDir)
                        .toArray(String[]::new)).stdout());
                AtomicReference<JsonNode> stA = new AtomicReference<>();
                AtomicReference<JsonNode> stB = new AtomicReference<>();
                lab.await("each agent sees the other", Duration.ofSeconds(30), () -> {
                    stA.set(json(a, "status", "--json", "--state-dir", dirA));
                    stB.set(json(b, "status", "--json", "--state-dir", dirB));
                    return seesOnlinePeer(stA.get(), "beta") && seesOnlinePeer(stB.get(), "alpha");
                });
                String ipA = stA.get().path("self").path("overlayIp").asText();
                String ipB = stB.get().path("self").path("overlayIp").asText();
                assertThat(ipA).startsWith("100.").isNotEqualTo(ipB);
                assertThat(stA.get().path("peers").get(0).path("overlayIp").asText()).isEqualTo(ipB);
                lab.note("status a: " + stA.get());

                lab.await("first ping alpha -> beta over the mesh", Duration.ofSeconds(20), () -> a.pingOnce(ipB));
                assertThat(b.pingOnce(ipA)).as("ping beta -> alpha").isTrue();
                Traffic.Transfer t = Traffic.transfer("bulk", a, b, ipB, BULK_BYTES, Duration.ofMinutes(3));
                lab.note(String.format("50 MB via the relay: %.0f Mbit/s", t.mbitPerSecond()));
                assertThat(t.receivedSha256()).as("SHA-256 of 50 MB at the receiver").isEqualTo(t.sentSha256());

                JsonNode after = json(a, "status", "--json", "--state-dir", dirA);
                assertThat(after.path("peers").get(0).path("path").asText()).isEqualTo("relay");
                assertThat(after.path("peers").get(0).path("txBytes").asLong()).isGreaterThan(BULK_BYTES);
                assertThat(after.path("relayPath").path("bytesSent").asLong()).isGreaterThan(BULK_BYTES);
                lab.note("inet FORWARD counters:\n" + inet.exec("iptables", "-L", "FORWARD", "-v", "-n").stdout());
                lab.note("relay stats: " + json(inet, "relay", "stats", "--json", "--state-dir", relayDir));
                lab.note("agent a after bulk: " + after + "\nagent b after bulk: " + json(b, "status", "--json", "--state-dir", dirB));

                // ---- kill -9 the relay and start it again on the same state dir
                int[] retries = agents.stream().mapToInt(p -> count(p.stderr(), "reconnecting in")).toArray();
                relay.process().kill();
                lab.await("agents notice the relay is gone", Duration.ofSeconds(20), () ->
                        count(agents.get(0).stderr(), "reconnecting in") > retries[0]
                                && count(agents.get(1).stderr(), "reconnecting in") > retries[1]);
                Relay again = startRelay(lab, inet, relayDir, relay.port(), "relay-2");
                relayProc.set(again.process());
                assertThat(again.pin()).isEqualTo(relay.pin());
                lab.await("both agents registered again (their logs)", Duration.ofSeconds(90), () -> agents.stream()
                        .allMatch(p -> count(p.stderr(), "registered as ") >= 2));
                lab.await("both agents re-registered", Duration.ofSeconds(60), () -> {
                    JsonNode x = json(a, "status", "--json", "--state-dir", dirA);
                    JsonNode y = json(b, "status", "--json", "--state-dir", dirB);
                    return "CONNECTED".equals(text(x, "connection")) && "CONNECTED".equals(text(y, "connection"))
                            && x.path("self").path("registrations").asLong() >= 2 && seesOnlinePeer(x, "beta")
                            && seesOnlinePeer(y, "alpha");
                });
                JsonNode x = json(a, "status", "--json", "--state-dir", dirA);
                assertThat(x.path("self").path("overlayIp").asText()).as("alpha keeps its overlay IP").isEqualTo(ipA);
                assertThat(json(b, "status", "--json", "--state-dir", dirB).path("self").path("overlayIp").asText())
                        .as("beta keeps its overlay IP").isEqualTo(ipB);
                lab.await("traffic resumes by itself", Duration.ofSeconds(30), () -> a.pingOnce(ipB));
                Traffic.Transfer t2 = Traffic.transfer("after-restart", a, b, ipB, 4L << 20, Duration.ofMinutes(1));
                assertThat(t2.receivedSha256()).isEqualTo(t2.sentSha256());
                JsonNode nodes = json(inet, "relay", "nodes", "--json", "--state-dir", relayDir);
                assertThat(nodes.path("nodes")).hasSize(2);
                for (LabProcess p : agents) {
                    assertThat(p.isAlive()).as(p.name() + " still running").isTrue();
                }
            } finally {
                for (LabProcess p : agents) {
                    p.stop();
                }
                LabProcess r = relayProc.get();
                if (r != null) {
                    r.stop();
                }
            }
        }
    }

    static Relay startRelay(Lab lab, Netns inet, String stateDir, int port, String name) {
        LabProcess p = inet.spawn(name, GridmeshCli.daemon("relay", "--state-dir", stateDir, "--listen", "0.0.0.0:" + port,
                "--stun-listen", "0.0.0.0:0"));
        AtomicReference<Matcher> portM = new AtomicReference<>();
        AtomicReference<Matcher> pinM = new AtomicReference<>();
        lab.await(name + " listening", Duration.ofSeconds(60), () -> {
            if (!p.isAlive()) {
                throw new AssertionError(name + " exited: " + p.stderr());
            }
            String out = p.stdout();
            Matcher m1 = PORT.matcher(out);
            Matcher m2 = PIN.matcher(out);
            if (m1.find() && m2.find()) {
                portM.set(m1);
                pinM.set(m2);
                return true;
            }
            return false;
        });
        return new Relay(p, Integer.parseInt(portM.get().group(1)), pinM.get().group(1));
    }

    /** A state dir in the log dir, emptied of what an earlier run left (the lab only clears plain files). */
    static String fresh(Lab lab, String name) {
        Path d = lab.file(name);
        try {
            if (Files.exists(d)) {
                try (var walk = Files.walk(d)) {
                    for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                        Files.delete(p);
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return d.toString();
    }

    /** {@code gridmesh ARGS} in {@code ns} parsed as JSON, or null when it fails (agent still starting). */
    static JsonNode json(Netns ns, String... args) {
        ExecResult r = ns.exec(GridmeshCli.command(args).toArray(String[]::new));
        if (!r.ok()) {
            return null;
        }
        try {
            return JSON.readTree(r.stdout());
        } catch (IOException e) {
            return null;
        }
    }

    static int count(String text, String needle) {
        int n = 0;
        for (int i = text.indexOf(needle); i >= 0; i = text.indexOf(needle, i + 1)) {
            n++;
        }
        return n;
    }

    static String text(JsonNode status, String selfField) {
        return status == null ? null : status.path("self").path(selfField).asText();
    }

    static boolean seesOnlinePeer(JsonNode status, String name) {
        if (status == null) {
            return false;
        }
        for (JsonNode p : status.path("peers")) {
            if (p.path("name").asText().equals(name) && p.path("online").asBoolean()) {
                return true;
            }
        }
        return false;
    }
}
