package dev.gridmesh.integration.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The agent with exactly the privileges {@code gridmesh-agent.service} grants (an unprivileged user, CAP_NET_ADMIN as
 * its only ambient, inheritable and bounding capability; made with {@code setpriv} since no systemd runs here), in a
 * fresh network namespace with a relay on its loopback:
 * <pre>
 *   netns gm&lt;pid&gt;:  relay 127.0.0.1:PORT (root)  &lt;-- TLS --  agent (nobody + CAP_NET_ADMIN) -- TUN gm0 100.64.x.y/10
 * </pre>
 * It opens the TUN, addresses it, registers, keeps its key 0600 and socket 0660; on SIGTERM it exits 0 within 5 s
 * and the TUN is gone.
 */
@Tag("netns")
class UnitPrivilegesTest {
    static String run(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(String.join(" ", cmd) + ": " + out).isZero();
        return out;
    }

    static String waitFor(Path file, Pattern p, Process proc) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while (System.nanoTime() < deadline) {
            String s = Files.exists(file) ? Files.readString(file) : "";
            Matcher m = p.matcher(s);
            if (m.find()) {
                return m.groupCount() > 0 ? m.group(1) : m.group();
            }
            if (!proc.isAlive()) {
                throw new AssertionError("exited " + proc.exitValue() + ": " + s);
            }
            Thread.sleep(50); // bounded poll of the process's output file
        }
        throw new AssertionError("timeout waiting for " + p + " in " + Files.readString(file));
    }

    @Test
    void agentRunsWithOnlyCapNetAdminAndCleansUpOnSigterm(@TempDir Path tmp) throws Exception {
        boolean root = "root".equals(System.getProperty("user.name"));
        if (!root) {
            assertThat(System.getenv("CI")).as("CI must run this test as root").isNotEqualTo("true");
            assumeTrue(false, "not root: skipping the netns privilege test");
        }
        Path lib = null;
        for (Path d = Path.of("").toAbsolutePath(); d != null; d = d.getParent()) {
            if (Files.isDirectory(d.resolve("cli/target/dist/lib"))) {
                lib = d.resolve("cli/target/dist/lib");
                break;
            }
        }
        assertThat(lib).isNotNull();
        String java = ProcessHandle.current().info().command().orElseThrow();
        List<String> jvm = List.of(java, "-XX:TieredStopAtLevel=1", "--enable-native-access=ALL-UNNAMED", "-cp",
                lib + "/*", "dev.gridmesh.cli.Main");
        String ns = "gm" + ProcessHandle.current().pid() + "u";
        Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxr-xr-x"));
        run("ip", "netns", "add", ns);
        Thread cleanup = new Thread(() -> {
            try {
                new ProcessBuilder("ip", "netns", "del", ns).start().waitFor(10, TimeUnit.SECONDS);
            } catch (Exception e) {
                // best effort
            }
        });
        Runtime.getRuntime().addShutdownHook(cleanup);
        Process relay = null;
        Process agent = null;
        try {
            run("ip", "-n", ns, "link", "set", "lo", "up");
            List<String> rc = new ArrayList<>(List.of("ip", "netns", "exec", ns));
            rc.addAll(jvm);
            rc.addAll(List.of("relay", "--state-dir", tmp.resolve("relay").toString(), "--listen", "127.0.0.1:0",
                    "--stun-listen", "off", "--metrics-listen", "off"));
            Path relayOut = tmp.resolve("relay.out");
            relay = new ProcessBuilder(rc).redirectErrorStream(true).redirectOutput(relayOut.toFile()).start();
            String port = waitFor(relayOut, Pattern.compile("relay: tls on tcp 127\\.0\\.0\\.1:(\\d+)"), relay);
            String pin = waitFor(relayOut, Pattern.compile("certificate pin (sha256:[0-9a-f]{64})"), relay);
            waitFor(relayOut, Pattern.compile("relay: admin socket"), relay);
            List<String> tc = new ArrayList<>(List.of("ip", "netns", "exec", ns));
            tc.addAll(jvm);
            tc.addAll(List.of("relay", "token", "create", "--state-dir", tmp.resolve("relay").toString()));
            Matcher tm = Pattern.compile("(gmt_[A-Za-z0-9_-]+)").matcher(run(tc.toArray(String[]::new)));
            assertThat(tm.find()).isTrue();

            Path state = Files.createDirectory(tmp.resolve("agent"));
            run("chown", "nobody:nogroup", state.toString());
            Files.setPosixFilePermissions(state, PosixFilePermissions.fromString("rwxr-x---"));
            List<String> ac = new ArrayList<>(List.of("ip", "netns", "exec", ns, "setpriv", "--reuid=nobody",
                    "--regid=nogroup", "--clear-groups", "--inh-caps=-all,+net_admin",
                    "--ambient-caps=-all,+net_admin", "--bounding-set=-all,+net_admin", "--no-new-privs",
                    "env", "HOME=" + state, "XDG_CACHE_HOME=" + state.resolve(".cache")));
            ac.addAll(jvm);
            ac.addAll(List.of("agent", "--server", "127.0.0.1:" + port, "--pin", pin, "--token", tm.group(1),
                    "--state-dir", state.toString(), "--hostname", "w1"));
            Path agentOut = tmp.resolve("agent.out");
            agent = new ProcessBuilder(ac).redirectErrorStream(true).redirectOutput(agentOut.toFile()).start();
            String ip = waitFor(agentOut, Pattern.compile("agent: node w1 (100\\.[0-9.]+)/10 on gm0"), agent);
            assertThat(run("ip", "-n", ns, "-br", "addr", "show", "gm0")).contains(ip + "/10");
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(state.resolve("node.key"))))
                    .isEqualTo("rw-------");
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(state.resolve("agent.sock"))))
                    .isEqualTo("rw-rw----");
            // the agent JVM's own capabilities: CAP_NET_ADMIN (bit 12) only
            // ip netns exec, setpriv and env each exec the next: the process started is the JVM
            long pid = agent.toHandle().info().command().orElse("").endsWith("java") ? agent.pid()
                    : agent.descendants().filter(h -> h.info().command().orElse("").endsWith("java"))
                            .findFirst().orElseThrow().pid();
            String status = Files.readString(Path.of("/proc/" + pid + "/status"));
            assertThat(status).contains("CapEff:\t0000000000001000", "CapBnd:\t0000000000001000",
                    "CapAmb:\t0000000000001000");
            assertThat(status).containsPattern("Uid:\\t65534\\t");

            long t0 = System.nanoTime();
            run("kill", "-TERM", Long.toString(pid));
            assertThat(agent.waitFor(5, TimeUnit.SECONDS)).as(Files.readString(agentOut)).isTrue();
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(5));
            assertThat(agent.exitValue()).as(Files.readString(agentOut)).isZero();
            assertThat(run("ip", "-n", ns, "-br", "link")).doesNotContain("gm0");
            assertThat(state.resolve("agent.sock")).doesNotExist();
        } finally {
            if (agent != null) {
                agent.destroyForcibly();
            }
            if (relay != null) {
                relay.destroyForcibly();
                relay.waitFor(10, TimeUnit.SECONDS);
            }
            cleanup.run();
            Runtime.getRuntime().removeShutdownHook(cleanup);
        }
    }
}
