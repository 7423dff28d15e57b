package dev.gridmesh.integration.relay;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gridmesh.testsupport.lab.Lab;
import dev.gridmesh.testsupport.lab.LabProcess;
import dev.gridmesh.testsupport.lab.Link;
import dev.gridmesh.testsupport.lab.Netns;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Two relays on one etcd are one mesh (docs/multi-relay.md): agent alpha on relay 1, agent beta on relay 2, UDP
 * between them dropped so that only the relays carry their traffic; they see each other online and ping, their
 * packets crossing the relay-to-relay link. An engineer (no agent, in inet) logged in to relay 1 runs
 * {@code gridmesh tunnel beta 9000} to beta, held by relay 2: 1 MB up, half-close, the SHA-256 back, byte-exact;
 * relay 1's policy refuses another port with its reason. Then relay 2 is killed (SIGKILL): beta moves to relay 1
 * (its --server list), keeps its overlay IP, and the ping works again.
 * <pre>
 *  gm&lt;run&gt;a                        gm&lt;run&gt;inet                                   gm&lt;run&gt;b
 *  agent alpha                    etcd 127.0.0.1 (in inet)                       agent beta
 *  --server R:P1,R:P2             relay 1 :P1  link 198.18.1.1                   --server R:P2,R:P1
 *  gm0 100.64.x.y                 relay 2 :P2  link 198.18.1.1                   gm0 100.64.x.z
 *  198.18.1.2/24 ---------------- 198.18.1.1 | 198.18.2.1 ---------------------- 198.18.2.2/24
 *                                 FORWARD -p udp -j DROP (no direct path a &lt;-&gt; b)
 * </pre>
 * Run as root: {@code mvn -o -pl integration-tests test -Pit -Dtest=MultiRelayNetnsTest}. Logs:
 * {@code integration-tests/target/netns-logs/multi-relay/}.
 */
@Tag("netns")
class MultiRelayNetnsTest {
    static final Pattern PORT = Pattern.compile("tls on tcp \\S*:(\\d+)");
    static final Pattern PIN = Pattern.compile("certificate pin (sha256:[0-9a-f]{64})");
    static final Pattern CLUSTER = Pattern.compile("cluster relay ([0-9a-f]{8}), link on tcp");

    @BeforeAll
    static void build() {
        Lab.requirePreconditions("etcd", "ss", "socat", "sha256sum");
        GridmeshCli.ensureBuilt();
    }

    record Relay(LabProcess process, int port, String pin) {}

    @Test
    void twoRelaysOneMeshAndAgentsMoveWhenOneDies() throws Exception {
        try (Lab lab = Lab.open("multi-relay", "etcd", "ss", "socat", "sha256sum")) {
            Netns a = lab.netns("a");
            Netns inet = lab.netns("inet");
            Netns b = lab.netns("b");
            Link aLink = lab.link(a, "198.18.1.2/24", inet, "198.18.1.1/24");
            Link bLink = lab.link(b, "198.18.2.2/24", inet, "198.18.2.1/24");
            a.defaultRoute(aLink.bIp());
            b.defaultRoute(bLink.bIp());
            inet.enableForwarding();
            inet.execOk("iptables", "-A", "FORWARD", "-p", "udp", "-j", "DROP");
            inet.execOk("ip", "link", "set", "lo", "up");

            // etcd inside the fresh namespace: nothing else listens there, so any port is free
            int clientPort = 20000 + ThreadLocalRandom.current().nextInt(20000);
            int peerPort = clientPort + 1;
            String etcdDir = RelayMeshTest.fresh(lab, "etcd-data");
            String cu = "http://127.0.0.1:" + clientPort;
            String pu = "http://127.0.0.1:" + peerPort;
            List<LabProcess> procs = new ArrayList<>();
            LabProcess etcd = inet.spawn("etcd", List.of("etcd", "--name", "gm", "--data-dir", etcdDir,
                    "--listen-client-urls", cu, "--advertise-client-urls", cu, "--listen-peer-urls", pu,
                    "--initial-advertise-peer-urls", pu, "--initial-cluster", "gm=" + pu, "--logger", "zap",
                    "--log-outputs", "stderr"));
            procs.add(etcd);
            try {
                lab.await("etcd serving", Duration.ofSeconds(60), () -> {
                    if (!etcd.isAlive()) {
                        throw new AssertionError("etcd exited: " + etcd.stderr());
                    }
                    return etcd.stderr().contains("serving client traffic");
                });
                String store = "etcd://127.0.0.1:" + clientPort;
                String dir1 = RelayMeshTest.fresh(lab, "relay1-state");
                String dir2 = RelayMeshTest.fresh(lab, "relay2-state");
                Relay r1 = startRelay(lab, inet, dir1, store, "relay-1");
                procs.add(r1.process());
                // relays of one mesh share one certificate (agents pin it): relay 2 gets relay 1's
                Files.createDirectories(Path.of(dir2));
                for (String f : List.of("relay-cert.pem", "relay-key.pem")) {
                    Files.copy(Path.of(dir1, f), Path.of(dir2, f));
                }
                Relay r2 = startRelay(lab, inet, dir2, store, "relay-2");
                procs.add(r2.process());
                assertThat(r2.pin()).isEqualTo(r1.pin());
                String token = inet.execOk(GridmeshCli.command("relay", "token", "create", "--reusable", "--expires", "1h",
                        "--state-dir", dir1).toArray(String[]::new)).stdout().strip();
                assertThat(token).startsWith("gmt_");

                String dirA = RelayMeshTest.fresh(lab, "agent-a");
                String dirB = RelayMeshTest.fresh(lab, "agent-b");
                String hostA = aLink.bIp();
                String hostB = bLink.bIp();
                LabProcess agentA = a.spawn("agent-a", GridmeshCli.daemon("agent", "--server",
                        hostA + ":" + r1.port() + "," + hostA + ":" + r2.port(), "--pin", r1.pin(), "--token", token,
                        "--hostname", "alpha", "--state-dir", dirA, "--tun", "gm0"));
                procs.add(agentA);
                LabProcess agentB = b.spawn("agent-b", GridmeshCli.daemon("agent", "--server",
                        hostB + ":" + r2.port() + "," + hostB + ":" + r1.port(), "--pin", r1.pin(), "--token", token,
                        "--hostname", "beta", "--state-dir", dirB, "--tun", "gm0", "--allow-port", "9000"));
                procs.add(agentB);
                // beta's service for the engineer tunnel: the SHA-256 of what it got, once the client half-closes
                procs.add(b.spawnSh("svc-sha", "exec socat -t 30 TCP-LISTEN:9000,bind=127.0.0.1,fork,reuseaddr EXEC:sha256sum"));
                lab.await("both agents registered", Duration.ofSeconds(120), () ->
                        (agentA.stdout().contains("agent: node ") && agentB.stdout().contains("agent: node "))
                                || !agentA.isAlive() || !agentB.isAlive());
                assertThat(agentA.isAlive()).as("agent a: " + agentA.stderr()).isTrue();
                assertThat(agentB.isAlive()).as("agent b: " + agentB.stderr()).isTrue();

                AtomicReference<JsonNode> stA = new AtomicReference<>();
                AtomicReference<JsonNode> stB = new AtomicReference<>();
                lab.await("each agent sees the other online (across the two relays)", Duration.ofSeconds(60), () -> {
                    stA.set(RelayMeshTest.json(a, "status", "--json", "--state-dir", dirA));
                    stB.set(RelayMeshTest.json(b, "status", "--json", "--state-dir", dirB));
                    return RelayMeshTest.seesOnlinePeer(stA.get(), "beta") && RelayMeshTest.seesOnlinePeer(stB.get(), "alpha");
                });
                assertThat(stA.get().path("self").path("relay").asText()).isEqualTo(hostA + ":" + r1.port());
                assertThat(stB.get().path("self").path("relay").asText()).isEqualTo(hostB + ":" + r2.port());
                String ipA = stA.get().path("self").path("overlayIp").asText();
                String ipB = stB.get().path("self").path("overlayIp").asText();
                assertThat(ipA).startsWith("100.").isNotEqualTo(ipB);
                lab.note("relay 1 nodes:\n" + inet.execOk(GridmeshCli.command("relay", "nodes", "--state-dir", dir1)
                        .toArray(String[]::new)).stdout());

                lab.await("ping alpha -> beta through relay 1, the link, relay 2", Duration.ofSeconds(40), () -> a.pingOnce(ipB));
                assertThat(b.pingOnce(ipA)).as("ping beta -> alpha").isTrue();
                JsonNode after = RelayMeshTest.json(a, "status", "--json", "--state-dir", dirA);
                assertThat(after.path("peers").get(0).path("path").asText()).isEqualTo("relay");
                assertThat(r1.process().stderr() + r1.process().stdout()).contains("relay link to");
                lab.note("inet FORWARD counters:\n" + inet.exec("iptables", "-L", "FORWARD", "-v", "-n").stdout());

                // ---- an engineer on relay 1 tunnels to beta, held by relay 2 (token and policy: relay 1's)
                inet.execOk(GridmeshCli.command("relay", "user", "create", "alice", "--state-dir", dir1).toArray(String[]::new));
                String aliceToken = inet.execOk(GridmeshCli.command("relay", "user", "token", "alice", "--state-dir", dir1)
                        .toArray(String[]::new)).stdout().strip();
                Files.writeString(Path.of(dir1, "tunnel-policy"), "allow user:alice node:beta 9000\n");
                String alice = RelayMeshTest.fresh(lab, "home-alice");
                String data = RelayMeshTest.fresh(lab, "data");
                Files.createDirectories(Path.of(alice));
                Files.createDirectories(Path.of(data));
                inet.shOk(TunnelSshTest.gm(alice, "login", "--server", "198.18.1.1:" + r1.port(), "--pin", r1.pin(),
                        "--token", aliceToken));
                var up = inet.sh(Duration.ofSeconds(60), "head -c 1000000 /dev/urandom | tee " + TunnelSshTest.q(data + "/up.bin")
                        + " | " + TunnelSshTest.gm(alice, "tunnel", "--via", "relay", "beta", "9000"));
                assertThat(up.exitCode()).as(up.stderr()).isZero();
                assertThat(up.stdout().strip().split(" ")[0]).isEqualTo(inet.shOk("sha256sum < " + TunnelSshTest.q(data + "/up.bin"))
                        .stdout().substring(0, 64));
                var denied = inet.sh(TunnelSshTest.gm(alice, "tunnel", "--via", "relay", "beta", "22") + " < /dev/null");
                assertThat(denied.exitCode()).isEqualTo(1);
                assertThat(denied.stderr()).contains("policy: user alice may not reach beta:22");
                assertThat(r1.process().stdout() + r1.process().stderr()).contains("relay stream link to");
                lab.note("tunnel through relay 1 to beta on relay 2: 1 MB byte-exact; refusal: " + denied.stderr().strip());

                // ---- relay 2 dies: beta moves to relay 1 and keeps its address
                r2.process().kill();
                lab.await("beta registered through relay 1", Duration.ofSeconds(90), () -> {
                    JsonNode y = RelayMeshTest.json(b, "status", "--json", "--state-dir", dirB);
                    stB.set(y);
                    return y != null && "CONNECTED".equals(RelayMeshTest.text(y, "connection"))
                            && (hostB + ":" + r1.port()).equals(y.path("self").path("relay").asText())
                            && RelayMeshTest.seesOnlinePeer(y, "alpha");
                });
                assertThat(stB.get().path("self").path("overlayIp").asText()).as("beta keeps its overlay IP").isEqualTo(ipB);
                lab.await("alpha sees beta online again", Duration.ofSeconds(30), () ->
                        RelayMeshTest.seesOnlinePeer(RelayMeshTest.json(a, "status", "--json", "--state-dir", dirA), "beta"));
                lab.await("ping alpha -> beta through relay 1 alone", Duration.ofSeconds(30), () -> a.pingOnce(ipB));
                assertThat(b.pingOnce(ipA)).as("ping beta -> alpha after the move").isTrue();
                assertThat(agentA.isAlive()).isTrue();
                assertThat(agentB.isAlive()).isTrue();
                lab.note("agent b after the move: " + RelayMeshTest.json(b, "status", "--json", "--state-dir", dirB));
            } finally {
                for (int i = procs.size() - 1; i >= 0; i--) {
                    procs.get(i).stop();
                }
            }
        }
    }

    static Relay startRelay(Lab lab, Netns inet, String stateDir, String store, String name) {
        LabProcess p = inet.spawn(name, GridmeshCli.daemon("relay", "--state-dir", stateDir, "--listen", "0.0.0.0:0",
                "--stun-listen", "0.0.0.0:0", "--metrics-listen", "off", "--store", store,
                "--cluster-listen", "198.18.1.1:0"));
        AtomicReference<Matcher> portM = new AtomicReference<>();
        AtomicReference<Matcher> pinM = new AtomicReference<>();
        lab.await(name + " listening and joined the cluster", Duration.ofSeconds(90), () -> {
            if (!p.isAlive()) {
                throw new AssertionError(name + " exited: " + p.stderr());
            }
            String out = p.stdout();
            Matcher m1 = PORT.matcher(out);
            Matcher m2 = PIN.matcher(out);
            if (m1.find() && m2.find() && CLUSTER.matcher(out).find()) {
                portM.set(m1);
                pinM.set(m2);
                return true;
            }
            return false;
        });
        return new Relay(p, Integer.parseInt(portM.get().group(1)), pinM.get().group(1));
    }
}
