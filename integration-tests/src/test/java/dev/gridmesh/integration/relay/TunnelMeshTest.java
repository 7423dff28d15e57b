package dev.gridmesh.integration.relay;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gridmesh.testsupport.lab.ExecResult;
import dev.gridmesh.testsupport.lab.Lab;
import dev.gridmesh.testsupport.lab.LabProcess;
import dev.gridmesh.testsupport.lab.NatKind;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Engineer tunnels when the engineer's machine runs an agent: {@code gridmesh ssh worker cmd} goes over the mesh's
 * direct path, not through the relay. Topology: {@link PathLab}, both routers endpoint-independent NATs (the direct
 * path forms through them); the engineer "alpha" runs an agent in gm&lt;run&gt;a, the worker runs an agent named
 * "worker" and sshd on all its addresses (loopback for relay streams, overlay IP for the mesh) in gm&lt;run&gt;b.
 * <pre>
 *   alpha 198.18.1.2 -- NAT (EIM) -- inet (relay 198.18.10.1, STUN) -- NAT (EIM) -- 198.18.2.2 worker: sshd *:22,
 *   agent --state-dir A, gridmesh ssh           direct UDP path between the NATs           socat 127.0.0.1:9001 echo
 * </pre>
 * <ol>
 *   <li>{@code gridmesh ssh --state-dir A root@worker 'echo $SSH_CONNECTION; exit 5'}: exit 5; sshd saw alpha's
 *       overlay IP; the relay's session log has no session; the path stayed direct.</li>
 *   <li>{@code --via relay}: exit 6; sshd saw 127.0.0.1 (the agent's stream); the relay logged alice's session.</li>
 *   <li>auto falls back to the relay for a service on the worker's loopback only (9001); {@code --via mesh} to it
 *       fails with one line.</li>
 *   <li>{@code gridmesh relay stats}: two tunnel streams opened and accepted (2. and 3.), bytes both ways.</li>
 *   <li>The launcher's fast path through the per-user tunnel helper: {@code gridmesh ssh} goes over the mesh too
 *   (sshd sees the overlay IP; the helper logs the stream "via mesh").</li>
 * </ol>
 * Run as root: {@code mvn -o -pl integration-tests test -Pit -Dtest=TunnelMeshTest}. Logs:
 * {@code integration-tests/target/netns-logs/tunnel-mesh/}.
 */
@Tag("netns")
class TunnelMeshTest {
    @BeforeAll
    static void build() {
        Lab.requirePreconditions("socat", "ss", "ssh", "ssh-keygen", "sshd", "turnserver");
        GridmeshCli.ensureBuilt();
    }

    static String sessions(Path log) {
        try {
            return Files.exists(log) ? Files.readString(log) : "";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static long counter(String stats, String name) {
        for (String line : stats.lines().toList()) {
            if (line.startsWith(name + " ")) {
                return Long.parseLong(line.substring(name.length() + 1).strip());
            }
        }
        throw new AssertionError(name + " not in relay stats:\n" + stats);
    }

    @Test
    void sshGoesOverTheDirectPathWhenTheEngineerRunsAnAgent() throws Exception {
        try (Lab lab = Lab.open("tunnel-mesh", "socat", "ss", "ssh", "turnserver");
                PathLab pl = new PathLab(lab)) {
            pl.startRelayAndStun();
            PathLab.reconfigure(pl.na, NatKind.ENDPOINT_INDEPENDENT, pl.aLan, pl.aWan, "198.18.0.0/16");
            PathLab.reconfigure(pl.nb, NatKind.ENDPOINT_INDEPENDENT, pl.bLan, pl.bWan, "198.18.2.0/24");
            for (var n : List.of(pl.a, pl.b)) {
                n.execOk("ip", "link", "set", "lo", "up");
            }
            String sshDir = RelayMeshTest.fresh(lab, "sshd");
            String alice = RelayMeshTest.fresh(lab, "home-alice");
            for (String d : List.of(sshDir, alice, sshDir + "/home")) {
                Files.createDirectories(Path.of(d));
            }
            List<LabProcess> procs = new ArrayList<>();
            try {
                // ---- worker: sshd on every address (so both the overlay IP and the loopback answer), echo on loopback
                pl.a.shOk("ssh-keygen -q -t ed25519 -N '' -f " + TunnelSshTest.q(alice + "/id_ed25519"));
                pl.b.shOk("ssh-keygen -q -t ed25519 -N '' -f " + TunnelSshTest.q(sshDir + "/host_ed25519")
                        + " && mkdir -p /run/sshd && cp " + TunnelSshTest.q(alice + "/id_ed25519.pub") + " "
                        + TunnelSshTest.q(sshDir + "/authorized_keys"));
                Files.writeString(Path.of(sshDir, "sshd_config"), String.join("\n",
                        "Port 22", "ListenAddress 0.0.0.0", "HostKey " + sshDir + "/host_ed25519",
                        "PidFile " + sshDir + "/sshd.pid", "UsePAM no", "PermitRootLogin prohibit-password",
                        "AuthorizedKeysFile " + sshDir + "/authorized_keys", "StrictModes no",
                        "PasswordAuthentication no", "KbdInteractiveAuthentication no",
                        "SetEnv HOME=" + sshDir + "/home", "LogLevel VERBOSE", ""));
                procs.add(pl.b.spawn("sshd", List.of("/usr/sbin/sshd", "-D", "-e", "-f", sshDir + "/sshd_config")));
                procs.add(pl.b.spawnSh("svc-echo", "exec socat TCP-LISTEN:9001,bind=127.0.0.1,fork,reuseaddr EXEC:cat"));

                // ---- agents: the engineer's and the worker's; the direct path forms between the EIM NATs
                LabProcess pa = pl.agent(pl.a, "alpha", "alpha", pl.dirA, "198.18.10.1");
                LabProcess pb = pl.agent(pl.b, "worker", "worker", pl.dirB, "198.18.20.1", "--allow-port", "22,9001");
                procs.add(pa);
                procs.add(pb);
                lab.await("both agents online", Duration.ofSeconds(90),
                        () -> PathLab.online(pl.dirA, "worker") && PathLab.online(pl.dirB, "alpha"));
                String ipWorker = PathLab.peer(PathLab.status(pl.dirA), "worker").path("overlayIp").asText();
                String ipAlpha = PathLab.peer(PathLab.status(pl.dirB), "alpha").path("overlayIp").asText();
                lab.await("ICMP over the mesh", Duration.ofSeconds(20), () -> pl.a.pingOnce(ipWorker));
                lab.await("direct path both ways", Duration.ofSeconds(30),
                        () -> "direct".equals(PathLab.path(pl.dirA, "worker")) && "direct".equals(PathLab.path(pl.dirB, "alpha")));

                // ---- relay user alice (the relay path and the fallback need a login)
                String relayDir = pl.relayDir;
                pl.inet.execOk(GridmeshCli.command("relay", "user", "create", "alice", "--state-dir", relayDir).toArray(String[]::new));
                String token = pl.inet.execOk(GridmeshCli.command("relay", "user", "token", "alice", "--state-dir", relayDir)
                        .toArray(String[]::new)).stdout().strip();
                Files.writeString(Path.of(relayDir, "tunnel-policy"), "allow user:alice node:worker 22,9001\n");
                pl.a.shOk(TunnelSshTest.gm(alice, "login", "--server", "198.18.10.1:" + pl.relay.port(), "--pin",
                        pl.relay.pin(), "--token", token));
                Path log = Path.of(relayDir, "tunnel-sessions.log");
                String opts = TunnelSshTest.sshOpts(alice);

                // 1. auto: over the mesh; sshd sees alpha's overlay IP; no relay session
                long rxBefore = PathLab.peer(PathLab.status(pl.dirA), "worker").path("rxBytes").asLong();
                long t0 = System.nanoTime();
                ExecResult mesh = pl.a.sh(Duration.ofSeconds(60), TunnelSshTest.gm(alice, "ssh", "--state-dir", pl.dirA)
                        + " " + opts + " root@worker " + TunnelSshTest.q("echo conn=$SSH_CONNECTION; exit 5"));
                lab.note(String.format("gridmesh ssh worker (auto, over the mesh): %.0f ms; %s", (System.nanoTime() - t0) / 1e6,
                        mesh.stdout().strip()));
                assertThat(mesh.exitCode()).as("remote exit code; stderr: " + mesh.stderr()).isEqualTo(5);
                assertThat(mesh.stdout()).contains("conn=" + ipAlpha + " ").contains(" " + ipWorker + " 22");
                assertThat(sessions(log)).as("relay session log after the mesh ssh").doesNotContain("\"port\":22");
                assertThat(PathLab.path(pl.dirA, "worker")).isEqualTo("direct");
                assertThat(PathLab.peer(PathLab.status(pl.dirA), "worker").path("rxBytes").asLong())
                        .as("bytes from the worker over the mesh").isGreaterThan(rxBefore);
                lab.await("sshd logged alpha's overlay IP", Duration.ofSeconds(10),
                        () -> procs.getFirst().stderr().contains("Accepted publickey for root from " + ipAlpha + " "));

                // 2. --via relay: the relay joins the stream; sshd sees the agent's loopback connection
                ExecResult relayed = pl.a.sh(Duration.ofSeconds(60), TunnelSshTest.gm(alice, "ssh", "--via", "relay",
                        "--state-dir", pl.dirA) + " " + opts + " root@worker " + TunnelSshTest.q("echo conn=$SSH_CONNECTION; exit 6"));
                assertThat(relayed.exitCode()).as("remote exit code; stderr: " + relayed.stderr()).isEqualTo(6);
                assertThat(relayed.stdout()).contains("conn=127.0.0.1 ");
                lab.await("relay session logged", Duration.ofSeconds(10),
                        () -> sessions(log).contains("\"user\":\"alice\",\"node\":\"worker\",\"port\":22"));

                // 3. a service on the worker's loopback only: auto falls back to the relay, --via mesh says why
                ExecResult fallback = pl.a.sh(Duration.ofSeconds(60), "echo ping-9001 | "
                        + TunnelSshTest.gm(alice, "tunnel", "--state-dir", pl.dirA, "worker", "9001"));
                assertThat(fallback.exitCode()).as(fallback.stderr()).isZero();
                assertThat(fallback.stdout().strip()).isEqualTo("ping-9001");
                lab.await("fallback session logged", Duration.ofSeconds(10),
                        () -> sessions(log).contains("\"node\":\"worker\",\"port\":9001"));
                ExecResult meshOnly = pl.a.sh(Duration.ofSeconds(60), TunnelSshTest.gm(alice, "tunnel", "--via", "mesh",
                        "--state-dir", pl.dirA, "worker", "9001") + " < /dev/null");
                assertThat(meshOnly.exitCode()).isEqualTo(1);
                assertThat(meshOnly.stderr()).contains("cannot connect to worker at " + ipWorker + ":9001 over the mesh")
                        .hasLineCount(1);
                lab.note("session log:\n" + sessions(log) + "\nmesh-only refusal: " + meshOnly.stderr().strip());

                // the relay's counters saw exactly the two relayed streams (22 with --via relay, 9001 by fallback)
                String stats = pl.inet.execOk(GridmeshCli.command("relay", "stats", "--state-dir", relayDir)
                        .toArray(String[]::new)).stdout();
                lab.note("relay stats:\n" + stats);
                assertThat(stats).contains("tunnel_streams_opened 2\n", "tunnel_streams_accepted 2\n",
                        "tunnel_denied_policy 0\n", "tunnel_denied_agent_allow_list 0\n");
                assertThat(counter(stats, "tunnel_bytes_to_node")).isGreaterThan(1000);
                assertThat(counter(stats, "tunnel_bytes_from_node")).isGreaterThan(1000);

                // 4. the launcher's fast path through the per-user tunnel helper chooses the mesh the same way
                String fast = TunnelSshTest.launcher(lab, alice);
                Path helperLog = Path.of(alice, ".cache/gridmesh/tunnel-helper.log");
                try {
                    // the first tunnel finds no helper: its JVM serves it (over the mesh) and starts one
                    ExecResult cold = pl.a.sh(Duration.ofSeconds(60), "echo x | " + fast + "tunnel --state-dir "
                            + TunnelSshTest.q(pl.dirA) + " worker 22 | head -c 4");
                    assertThat(cold.stdout()).as(cold.stderr()).isEqualTo("SSH-");
                    lab.await("tunnel helper up", Duration.ofSeconds(30),
                            () -> pl.a.sh("cat " + TunnelSshTest.q(helperLog.toString())).stdout().contains("listening on 127.0.0.1:"));
                    ExecResult viaHelper = pl.a.sh(Duration.ofSeconds(60), fast + "ssh --state-dir " + TunnelSshTest.q(pl.dirA)
                            + " " + opts + " root@worker " + TunnelSshTest.q("echo conn=$SSH_CONNECTION; exit 7"));
                    assertThat(viaHelper.exitCode()).as("remote exit code; stderr: " + viaHelper.stderr()).isEqualTo(7);
                    assertThat(viaHelper.stdout()).contains("conn=" + ipAlpha + " ");
                    String hl = pl.a.shOk("cat " + TunnelSshTest.q(helperLog.toString())).stdout();
                    assertThat(hl).as(hl).contains("worker:22 via mesh, open in ").doesNotContain(" via relay, open in ");
                    lab.note("helper log:\n" + hl.strip());
                } finally {
                    pl.a.sh(fast + "tunnel-daemon --stop");
                }
            } finally {
                for (LabProcess p : procs) {
                    p.stop();
                }
            }
        }
    }
}
