package dev.gridmesh.integration.relay;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gridmesh.testsupport.lab.ExecResult;
import dev.gridmesh.testsupport.lab.Lab;
import dev.gridmesh.testsupport.lab.LabProcess;
import dev.gridmesh.testsupport.lab.Link;
import dev.gridmesh.testsupport.lab.NatKind;
import dev.gridmesh.testsupport.lab.Netns;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Engineer tunnels end to end with a real OpenSSH: the worker runs sshd (own config and host key, sessions with an
 * empty HOME, no PAM) and {@code gridmesh agent} behind an endpoint-dependent NAT; the relay is on the lab internet;
 * the engineer's namespace runs no agent, only {@code gridmesh login / ssh / ssh-config / forward / tunnel}.
 * <pre>
 *  gm&lt;run&gt;w                 gm&lt;run&gt;nw                  gm&lt;run&gt;inet                 gm&lt;run&gt;e
 *  worker: sshd 127.0.0.1:22  NAT (MASQUERADE           relay :PORT                   engineer (no agent)
 *  agent --allow-port         --random-fully)                                         ssh, scp, socat, python3
 *    22,9000,9001,9002
 *  198.18.1.2/24 ----------- 198.18.1.1 | 198.18.10.2 -- 198.18.10.1   198.18.30.1 --- 198.18.30.2/24
 * </pre>
 * Services on the worker's loopback: 9000 answers the SHA-256 of what it received once the client half-closes;
 * 9001 echoes; 9002 streams zeros forever (for the client that stops reading).
 * Run as root: {@code mvn -o -pl integration-tests test -Pit -Dtest=TunnelSshTest} (~2-3 min; scp size
 * {@code -Dtunnel.scpMiB}, default 100 as the issue asks: 6-7 s each way here). Logs:
 * {@code integration-tests/target/netns-logs/tunnel-ssh/}.
 */
@Tag("netns")
class TunnelSshTest {
    static final Pattern FORWARDING = Pattern.compile("forwarding 127\\.0\\.0\\.1:(\\d+) -> (\\S+)");
    static final int SCP_MIB = Integer.getInteger("tunnel.scpMiB", 100);
    static final int TUNNELS = Integer.getInteger("tunnel.concurrent", 100);

    @BeforeAll
    static void build() {
        Lab.requirePreconditions("socat", "ss", "sha256sum", "ssh", "scp", "ssh-keygen", "sshd");
        GridmeshCli.ensureBuilt();
    }

    /** A shell word. */
    static String q(String s) {
        return "'" + s.replace("'", "'\\''") + "'";
    }

    /** {@code gridmesh ARGS} as a shell command for the engineer whose home is {@code home}. */
    static String gm(String home, String... args) {
        return "HOME=" + q(home) + " " + GridmeshCli.command(args).stream().map(TunnelSshTest::q).collect(Collectors.joining(" "));
    }

    static String sshOpts(String dir) {
        return "-i " + q(dir + "/id_ed25519") + " -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null"
                + " -o BatchMode=yes -o LogLevel=ERROR";
    }

    static long maxSessionBytesFromNode(Path log, int port) throws IOException {
        long max = 0;
        Pattern p = Pattern.compile("\"port\":" + port + ",.*\"bytesFromNode\":(\\d+)");
        for (String line : Files.readAllLines(log)) {
            Matcher m = p.matcher(line);
            if (m.find()) {
                max = Math.max(max, Long.parseLong(m.group(1)));
            }
        }
        return max;
    }

    @Test
    void engineerSshesToAWorkerBehindSymmetricNatThroughTheRelay() throws Exception {
        try (Lab lab = Lab.open("tunnel-ssh", "socat", "ss", "sha256sum", "ssh", "scp")) {
            Netns w = lab.netns("w");
            Netns nw = lab.netns("nw");
            Netns inet = lab.netns("inet");
            Netns e = lab.netns("e");
            Link wLan = lab.link(w, "198.18.1.2/24", nw, "198.18.1.1/24");
            Link wWan = lab.link(nw, "198.18.10.2/24", inet, "198.18.10.1/24");
            Link eLink = lab.link(e, "198.18.30.2/24", inet, "198.18.30.1/24");
            w.defaultRoute(wLan.bIp());
            nw.defaultRoute(wWan.bIp());
            e.defaultRoute(eLink.bIp());
            nw.configureNat(NatKind.ENDPOINT_DEPENDENT, wLan.bIf(), wWan.aIf(), "198.18.1.0/24");
            inet.enableForwarding();
            for (Netns n : List.of(w, nw, inet, e)) {
                n.execOk("ip", "link", "set", "lo", "up");
            }

            String relayDir = RelayMeshTest.fresh(lab, "relay-state");
            String agentDir = RelayMeshTest.fresh(lab, "agent-w");
            String sshDir = RelayMeshTest.fresh(lab, "sshd");
            String alice = RelayMeshTest.fresh(lab, "home-alice");
            String bob = RelayMeshTest.fresh(lab, "home-bob");
            String mallory = RelayMeshTest.fresh(lab, "home-mallory");
            String data = RelayMeshTest.fresh(lab, "data");
            for (String d : List.of(sshDir, alice, bob, mallory, data, sshDir + "/home", sshDir + "/recv")) {
                Files.createDirectories(Path.of(d));
            }
            List<LabProcess> procs = new ArrayList<>();
            AtomicReference<LabProcess> agent = new AtomicReference<>();
            try {
                // ---- worker: sshd with its own config and keys; services for the stream tests
                e.shOk("ssh-keygen -q -t ed25519 -N '' -f " + q(alice + "/id_ed25519"));
                w.shOk("ssh-keygen -q -t ed25519 -N '' -f " + q(sshDir + "/host_ed25519") + " && mkdir -p /run/sshd"
                        + " && cp " + q(alice + "/id_ed25519.pub") + " " + q(sshDir + "/authorized_keys"));
                Files.writeString(Path.of(sshDir, "sshd_config"), String.join("\n",
                        "Port 22", "ListenAddress 127.0.0.1", "HostKey " + sshDir + "/host_ed25519",
                        "PidFile " + sshDir + "/sshd.pid", "UsePAM no", "PermitRootLogin prohibit-password",
                        "AuthorizedKeysFile " + sshDir + "/authorized_keys", "StrictModes no",
                        "PasswordAuthentication no", "KbdInteractiveAuthentication no",
                        "Subsystem sftp internal-sftp", "SetEnv HOME=" + sshDir + "/home", "MaxStartups 200:30:300",
                        "MaxSessions 200", "LogLevel VERBOSE", ""));
                procs.add(w.spawn("sshd", List.of("/usr/sbin/sshd", "-D", "-e", "-f", sshDir + "/sshd_config")));
                procs.add(w.spawnSh("svc-sha", "mkdir -p " + q(sshDir + "/got") + " && exec socat -t 60 TCP-LISTEN:9000,bind=127.0.0.1,fork,reuseaddr,backlog=512 SYSTEM:'f=$(mktemp -p "
                        + sshDir + "/got); cat > $f; sha256sum < $f | cut -c1-64'"));
                procs.add(w.spawnSh("svc-echo", "exec socat TCP-LISTEN:9001,bind=127.0.0.1,fork,reuseaddr,backlog=512,nodelay EXEC:cat"));
                procs.add(w.spawnSh("svc-zero", "exec socat -u OPEN:/dev/zero TCP-LISTEN:9002,bind=127.0.0.1,fork,reuseaddr,backlog=512"));

                // ---- relay, users, policy
                RelayMeshTest.Relay relay = RelayMeshTest.startRelay(lab, inet, relayDir, 0, "relay");
                procs.add(relay.process());
                String join = inet.execOk(GridmeshCli.command("relay", "token", "create", "--expires", "1h",
                        "--state-dir", relayDir).toArray(String[]::new)).stdout().strip();
                List<String> agentCmd = GridmeshCli.daemon("agent", "--server", wWan.bIp() + ":" + relay.port(),
                        "--pin", relay.pin(), "--token", join, "--hostname", "worker", "--state-dir", agentDir,
                        "--tun", "gm0", "--allow-port", "22,9000,9001,9002");
                agent.set(w.spawn("agent-1", agentCmd));
                inet.execOk(GridmeshCli.command("relay", "user", "create", "alice", "--group", "ops", "--state-dir", relayDir).toArray(String[]::new));
                inet.execOk(GridmeshCli.command("relay", "user", "create", "bob", "--state-dir", relayDir).toArray(String[]::new));
                String aliceToken = inet.execOk(GridmeshCli.command("relay", "user", "token", "alice", "--state-dir", relayDir).toArray(String[]::new)).stdout().strip();
                String bobToken = inet.execOk(GridmeshCli.command("relay", "user", "token", "bob", "--state-dir", relayDir).toArray(String[]::new)).stdout().strip();
                String revokedToken = inet.execOk(GridmeshCli.command("relay", "user", "token", "bob", "--state-dir", relayDir).toArray(String[]::new)).stdout().strip();
                inet.execOk(GridmeshCli.command("relay", "user", "revoke", "bob", "--token", revokedToken.substring(4, 12), "--state-dir", relayDir).toArray(String[]::new));
                Files.writeString(Path.of(relayDir, "tunnel-policy"), String.join("\n",
                        "# ops may reach the worker's ssh and test services; 8080 is allowed here but not by the agent",
                        "allow group:ops node:worker 22,8080,9000-9002",
                        "allow user:alice node:ghost 22", "allow user:bob node:other 22", ""));
                lab.await("agent registered", Duration.ofSeconds(90), () -> agent.get().stdout().contains("agent: node ")
                        || !agent.get().isAlive());
                assertThat(agent.get().isAlive()).as("agent running: " + agent.get().stderr()).isTrue();

                String server = eLink.bIp() + ":" + relay.port();
                // ---- forged and revoked tokens: login refuses with one line
                ExecResult forged = e.sh(gm(mallory, "login", "--server", server, "--pin", relay.pin(),
                        "--token", "gmu_deadbeef_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"));
                assertThat(forged.exitCode()).isEqualTo(1);
                assertThat(forged.stderr()).contains("token not recognised").hasLineCount(1);
                ExecResult revoked = e.sh(gm(mallory, "login", "--server", server, "--pin", relay.pin(), "--token", revokedToken));
                assertThat(revoked.exitCode()).isEqualTo(1);
                assertThat(revoked.stderr()).contains("was revoked").hasLineCount(1);
                ExecResult wrongPin = e.sh(gm(mallory, "login", "--server", server, "--pin", "sha256:" + "0".repeat(64), "--token", aliceToken));
                assertThat(wrongPin.exitCode()).isEqualTo(1);
                assertThat(wrongPin.stderr()).contains("does not match the pinned");

                // ---- login; credentials 0600
                e.shOk(gm(alice, "login", "--server", server, "--pin", relay.pin(), "--token", aliceToken));
                e.shOk(gm(bob, "login", "--server", server, "--pin", relay.pin(), "--token", bobToken));
                assertThat(e.shOk("stat -c %a " + q(alice + "/.config/gridmesh/credentials")).stdout().strip()).isEqualTo("600");

                // ---- forwards: many concurrent tunnels, interactive RTT under bulk, a client that stops reading
                LabProcess fwd = e.spawn("forward", GridmeshCli.daemon("forward", "0:worker:9000", "0:worker:9001", "0:worker:9002"),
                        Map.of("HOME", alice));
                procs.add(fwd);
                lab.await("forward listening", Duration.ofSeconds(30), () -> count(fwd.stdout(), "forwarding") == 3 || !fwd.isAlive());
                Map<String, Integer> ports = new java.util.HashMap<>();
                Matcher fm = FORWARDING.matcher(fwd.stdout());
                while (fm.find()) {
                    ports.put(fm.group(2), Integer.parseInt(fm.group(1)));
                }
                int shaPort = ports.get("worker:9000");
                int echoPort = ports.get("worker:9001");
                int zeroPort = ports.get("worker:9002");
                String many = "cd " + q(data) + " && mkdir -p many && cd many && for i in $(seq 1 " + TUNNELS + "); do"
                        + " head -c 1048576 /dev/urandom > f$i; done; for i in $(seq 1 " + TUNNELS + "); do"
                        + " (socat -t 60 -T 120 - TCP:127.0.0.1:" + shaPort + " < f$i > d$i) & done; wait;"
                        + " bad=0; for i in $(seq 1 " + TUNNELS + "); do [ \"$(sha256sum < f$i | cut -c1-64)\" = \"$(cut -c1-64 d$i)\" ] || bad=$((bad+1)); done; echo bad=$bad";
                long t3 = System.nanoTime();
                ExecResult m = e.sh(Duration.ofMinutes(4), many);
                lab.note(String.format("%d concurrent tunnels x 1 MiB: %.1f s; %s", TUNNELS, (System.nanoTime() - t3) / 1e9, m.stdout().strip()));
                assertThat(m.stdout().strip()).as(m.stderr()).isEqualTo("bad=0");

                // ---- ssh-config; then plain ssh and scp by node name
                String cfg = e.shOk(gm(alice, "ssh-config")).stdout();
                assertThat(cfg).contains("Host worker").contains("ProxyCommand");
                Files.writeString(Path.of(alice, "ssh_config"), cfg);
                String scp = "HOME=" + q(alice) + " scp -q -F " + q(alice + "/ssh_config") + " " + sshOpts(alice) + " ";
                e.shOk("head -c " + SCP_MIB + "M /dev/urandom > " + q(data + "/up.bin"));
                w.shOk("head -c " + SCP_MIB + "M /dev/urandom > " + q(sshDir + "/down.bin"));
                long t1 = System.nanoTime();
                e.sh(Duration.ofMinutes(5), scp + q(data + "/up.bin") + " root@worker:" + q(sshDir + "/recv/up.bin")).requireOk();
                double upS = (System.nanoTime() - t1) / 1e9;
                long t2 = System.nanoTime();
                e.sh(Duration.ofMinutes(5), scp + "root@worker:" + q(sshDir + "/down.bin") + " " + q(data + "/down.bin")).requireOk();
                double downS = (System.nanoTime() - t2) / 1e9;
                String upSrc = e.shOk("sha256sum < " + q(data + "/up.bin")).stdout().substring(0, 64);
                String upDst = w.shOk("sha256sum < " + q(sshDir + "/recv/up.bin")).stdout().substring(0, 64);
                String downSrc = w.shOk("sha256sum < " + q(sshDir + "/down.bin")).stdout().substring(0, 64);
                String downDst = e.shOk("sha256sum < " + q(data + "/down.bin")).stdout().substring(0, 64);
                assertThat(upDst).as("scp up SHA-256").isEqualTo(upSrc);
                assertThat(downDst).as("scp down SHA-256").isEqualTo(downSrc);
                lab.note(String.format("scp %d MiB up: %.1f s (%.0f Mbit/s), down: %.1f s (%.0f Mbit/s)", SCP_MIB, upS,
                        SCP_MIB * 8.388608 / upS, downS, SCP_MIB * 8.388608 / downS));

                // ---- gridmesh ssh worker cmd: output and the remote exit code
                String ssh = gm(alice, "ssh") + " " + sshOpts(alice) + " root@worker ";
                ExecResult hello = e.sh(Duration.ofSeconds(60), ssh + q("echo hello from $(hostname -I | wc -w) ifaces; exit 7"));
                assertThat(hello.exitCode()).as("remote exit code; stderr: " + hello.stderr()).isEqualTo(7);
                assertThat(hello.stdout()).contains("hello from");
                long t0 = System.nanoTime();
                e.shOk(ssh + "true");
                lab.note(String.format("gridmesh ssh worker true: %.0f ms (two JVM starts + ssh)", (System.nanoTime() - t0) / 1e6));

                // ---- the bash launcher's fast path through the per-user tunnel helper (no JVM per connection)
                String fast = launcher(lab, alice);
                Path helperFile = Path.of(alice, ".config/gridmesh/tunnel-helper");
                Path helperLog = Path.of(alice, ".cache/gridmesh/tunnel-helper.log");
                try {
                    // the first tunnel finds no helper: it runs in a JVM and starts one
                    ExecResult cold = e.sh(Duration.ofSeconds(60), "echo cold | " + fast + "tunnel worker 9000");
                    assertThat(cold.exitCode()).as(cold.stderr()).isZero();
                    assertThat(cold.stdout().strip()).isEqualTo(e.shOk("echo cold | sha256sum").stdout().substring(0, 64));
                    lab.await("tunnel helper up", Duration.ofSeconds(30), () -> Files.exists(helperFile)
                            && e.sh("cat " + q(helperLog.toString())).stdout().contains("listening on 127.0.0.1:"));
                    assertThat(e.shOk("stat -c %a " + q(helperFile.toString())).stdout().strip()).isEqualTo("600");
                    // gridmesh ssh (bash builds the ssh line) -> ProxyCommand = the launcher -> the helper
                    String fastSsh = fast + "ssh " + sshOpts(alice) + " root@worker ";
                    long tf = System.nanoTime();
                    ExecResult code = e.sh(Duration.ofSeconds(60), fastSsh + q("echo fast; exit 5"));
                    double fastMs = (System.nanoTime() - tf) / 1e6;
                    assertThat(code.exitCode()).as("remote exit code; stderr: " + code.stderr()).isEqualTo(5);
                    assertThat(code.stdout()).contains("fast");
                    // a digest-checked transfer each way through ssh, and one through the bare tunnel (half-close)
                    e.shOk("head -c 20M /dev/urandom > " + q(data + "/fast.bin"));
                    String fastSrc = e.shOk("sha256sum < " + q(data + "/fast.bin")).stdout().substring(0, 64);
                    ExecResult up = e.sh(Duration.ofSeconds(120), fastSsh + "sha256sum < " + q(data + "/fast.bin"));
                    assertThat(up.stdout().strip()).as(up.stderr()).startsWith(fastSrc);
                    ExecResult down = e.sh(Duration.ofSeconds(120), fastSsh + q("cat " + sshDir + "/down.bin") + " | sha256sum");
                    assertThat(down.stdout().strip()).as(down.stderr()).startsWith(downSrc);
                    ExecResult bare = e.sh(Duration.ofSeconds(120), fast + "tunnel worker 9000 < " + q(data + "/fast.bin"));
                    assertThat(bare.exitCode()).as(bare.stderr()).isZero();
                    assertThat(bare.stdout().strip()).isEqualTo(fastSrc);
                    // refusals through the helper: the JVM path's line, exit 1
                    ExecResult port = e.sh(fast + "tunnel worker 8080 < /dev/null");
                    assertThat(port.exitCode()).isEqualTo(1);
                    assertThat(port.stderr()).contains("port 8080 is not in worker's allow-list").hasLineCount(1);
                    // the four sessions went through the helper (a JVM fallback would leave no line): one each
                    String hl = e.shOk("cat " + q(helperLog.toString())).stdout();
                    assertThat(count(hl, " via relay, open in ")).as(hl).isEqualTo(4);
                    lab.note(String.format("fast path: gridmesh ssh worker 'exit 5': %.0f ms (bash + ssh + helper); helper log:%n%s",
                            fastMs, hl.strip()));
                } finally {
                    e.sh(fast + "tunnel-daemon --stop");
                }

                // ---- denied user, denied port (agent allow-list), unknown node: one clear line each
                ExecResult deniedUser = e.sh(gm(bob, "tunnel", "worker", "22") + " < /dev/null");
                assertThat(deniedUser.exitCode()).isEqualTo(1);
                assertThat(deniedUser.stderr()).contains("policy: user bob may not reach worker:22").hasLineCount(1);
                ExecResult deniedPort = e.sh(gm(alice, "tunnel", "worker", "8080") + " < /dev/null");
                assertThat(deniedPort.exitCode()).isEqualTo(1);
                assertThat(deniedPort.stderr()).contains("port 8080 is not in worker's allow-list").hasLineCount(1);
                ExecResult ghost = e.sh(gm(alice, "tunnel", "ghost", "22") + " < /dev/null");
                assertThat(ghost.exitCode()).isEqualTo(1);
                assertThat(ghost.stderr()).contains("no node named ghost").hasLineCount(1);
                lab.note("refusals:\n  " + deniedUser.stderr().strip() + "\n  " + deniedPort.stderr().strip() + "\n  " + ghost.stderr().strip());

                // ---- half-close exactness through tunnel: send, EOF, then the answer comes back
                ExecResult half = e.sh("head -c 1000000 /dev/urandom | tee " + q(data + "/half.bin") + " | " + gm(alice, "tunnel", "worker", "9000"));
                assertThat(half.exitCode()).as(half.stderr()).isEqualTo(0);
                assertThat(half.stdout().strip()).isEqualTo(e.shOk("sha256sum < " + q(data + "/half.bin")).stdout().substring(0, 64));

                // interactive round trip while a bulk upload runs over the same agent connection
                String rtt = "import socket,time,sys\n"
                        + "s=socket.create_connection(('127.0.0.1'," + echoPort + "));s.setsockopt(socket.IPPROTO_TCP,socket.TCP_NODELAY,1)\n"
                        + "r=[]\n"
                        + "for i in range(50):\n"
                        + "  t=time.perf_counter();s.sendall(b'x');d=s.recv(1)\n"
                        + "  assert d==b'x'\n"
                        + "  r.append((time.perf_counter()-t)*1000);time.sleep(0.02)\n"
                        + "r.sort();print('median %.2f p90 %.2f max %.2f'%(r[25],r[45],r[-1]))\n";
                Files.writeString(Path.of(data, "rtt.py"), rtt);
                String idle = e.shOk("/usr/bin/python3 " + q(data + "/rtt.py")).stdout().strip();
                LabProcess bulk = e.spawnSh("bulk", "head -c 400M /dev/zero | " + gm(alice, "ssh") + " " + sshOpts(alice) + " root@worker 'cat > /dev/null'");
                procs.add(bulk);
                lab.await("bulk running", Duration.ofSeconds(30), () -> !bulk.isAlive()
                        || w.sh("ss -tn state established '( sport = :22 )' | tail -n +2 | wc -l").stdout().strip().compareTo("1") >= 0);
                String busy = e.shOk("/usr/bin/python3 " + q(data + "/rtt.py")).stdout().strip();
                boolean bulkStillRunning = bulk.isAlive();
                lab.note("echo RTT through the tunnel, idle: " + idle + " ms; during a bulk upload (" + (bulkStillRunning ? "still running" : "had ended") + "): " + busy + " ms");
                assertThat(Double.parseDouble(busy.split(" ")[1])).as("median RTT under bulk, ms").isLessThan(250);
                bulk.waitFor(Duration.ofMinutes(3));

                // a client that connects to an endless source and never reads: the relay forwards only about one window
                ExecResult stall = e.sh(Duration.ofSeconds(60), "/usr/bin/python3 -c " + q("import socket,time\n"
                        + "s=socket.create_connection(('127.0.0.1'," + zeroPort + "));s.setsockopt(socket.SOL_SOCKET,socket.SO_RCVBUF,65536)\n"
                        + "time.sleep(4);s.close()\n"));
                assertThat(stall.exitCode()).isEqualTo(0);
                Path sessions = Path.of(relayDir, "tunnel-sessions.log");
                lab.await("stalled session logged", Duration.ofSeconds(20), () -> {
                    try {
                        return maxSessionBytesFromNode(sessions, 9002) > 0;
                    } catch (IOException x) {
                        throw new UncheckedIOException(x);
                    }
                });
                long stalledBytes = maxSessionBytesFromNode(sessions, 9002);
                lab.note("client that stopped reading for 4 s: relay forwarded " + stalledBytes + " bytes of an endless source");
                assertThat(stalledBytes).as("bytes the relay forwarded to a client that does not read").isLessThan(16L << 20);

                // ---- agent restart: the open session fails cleanly, a new one works at once
                LabProcess open = e.spawnSh("long-session", gm(alice, "ssh") + " " + sshOpts(alice) + " root@worker 'sleep 120'; echo exit=$?");
                procs.add(open);
                lab.await("long session up", Duration.ofSeconds(30), () -> w.sh("pgrep -f '^sleep 120$'").ok());
                agent.get().stop();
                lab.await("open session ended with an error", Duration.ofSeconds(30), () -> !open.isAlive());
                assertThat(open.stdout()).doesNotContain("exit=0");
                agent.set(w.spawn("agent-2", agentCmd));
                lab.await("agent registered again", Duration.ofSeconds(90), () -> agent.get().stdout().contains("agent: node ")
                        || !agent.get().isAlive());
                ExecResult again = e.sh(Duration.ofSeconds(60), ssh + "'echo back; exit 3'");
                assertThat(again.exitCode()).as(again.stderr()).isEqualTo(3);
                assertThat(again.stdout()).contains("back");

                lab.note("session log:\n" + Files.readString(sessions).lines().limit(12).collect(Collectors.joining("\n")));
                assertThat(Files.readString(sessions)).contains("\"user\":\"alice\",\"node\":\"worker\",\"port\":22")
                        .contains("denied: policy: user bob may not reach worker:22");
            } finally {
                LabProcess a = agent.get();
                if (a != null) {
                    a.stop();
                }
                for (LabProcess p : procs) {
                    p.stop();
                }
            }
        }
    }

    /**
     * The real bash launcher laid out as a distribution ({@code gridmesh} beside {@code lib} = the jars under test), as
     * a shell prefix for the engineer whose home is {@code home}; the helper it starts leaves after 120 s idle.
     */
    static String launcher(Lab lab, String home) throws IOException {
        Path dist = Path.of(RelayMeshTest.fresh(lab, "dist"));
        Files.createDirectories(dist);
        Files.copy(GridmeshCli.repoRoot().resolve("gridmesh"), dist.resolve("gridmesh"));
        dist.resolve("gridmesh").toFile().setExecutable(true);
        Files.createSymbolicLink(dist.resolve("lib"), GridmeshCli.lib());
        return "HOME=" + q(home) + " GRIDMESH_TUNNEL_PERSIST=120 GRIDMESH_JAVA_HOME=" + q(System.getProperty("java.home"))
                + " " + q(dist.resolve("gridmesh").toString()) + " ";
    }

    static int count(String text, String needle) {
        int n = 0;
        for (int i = text.indexOf(needle); i >= 0; i = text.indexOf(needle, i + 1)) {
            n++;
        }
        return n;
    }
}
