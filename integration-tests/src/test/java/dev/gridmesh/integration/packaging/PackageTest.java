package dev.gridmesh.integration.packaging;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code scripts/package.sh --no-build} (on the {@code cli/target/dist/lib} the reactor just built) makes a .deb;
 * it is unpacked with {@code dpkg-deb -x} into a scratch dir (no install, no maintainer scripts) and its launcher
 * runs with an empty environment: no JAVA_HOME, a PATH holding only the shell tools the launcher uses (no java).
 * The bundled jlink runtime must be the one chosen, and it must carry every module a relay needs (TLS, H2, the
 * metrics HTTP server, TOML config). Tagged netns: slow (jlink), run by {@code -Pit} as the other packaging-level
 * tests are.
 */
@Tag("netns")
class PackageTest {
    static Path repoRoot() {
        for (Path d = Path.of("").toAbsolutePath(); d != null; d = d.getParent()) {
            if (Files.isExecutable(d.resolve("scripts/package.sh")) && Files.exists(d.resolve("pom.xml"))) {
                return d;
            }
        }
        throw new IllegalStateException("no scripts/package.sh above " + Path.of("").toAbsolutePath());
    }

    record Run(int exit, String out) {}

    static Run run(Map<String, String> env, Path dir, long timeoutSeconds, String... cmd) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true);
        if (env != null) {
            pb.environment().clear();
            pb.environment().putAll(env);
        }
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(timeoutSeconds, TimeUnit.SECONDS)).as(String.join(" ", cmd)).isTrue();
        return new Run(p.exitValue(), out);
    }

    @Test
    void debUnpacksAndRunsOnItsOwnRuntime(@TempDir Path tmp) throws Exception {
        Path root = repoRoot();
        Path dist = tmp.resolve("dist");
        Map<String, String> buildEnv = new java.util.HashMap<>(System.getenv());
        buildEnv.put("GM_DIST_DIR", dist.toString());
        Run pkg = run(buildEnv, root, 600, "bash", "scripts/package.sh", "--no-build");
        assertThat(pkg.exit()).as(pkg.out()).isZero();
        Path deb;
        try (var s = Files.list(dist)) {
            deb = s.filter(p -> p.toString().endsWith("_amd64.deb")).findFirst().orElseThrow();
        }
        Run contents = run(null, tmp, 60, "dpkg-deb", "-c", deb.toString());
        assertThat(contents.out()).contains("./usr/bin/gridmesh -> /opt/gridmesh/bin/gridmesh",
                "./lib/systemd/system/gridmesh-agent.service", "./lib/systemd/system/gridmesh-relay.service",
                "./etc/gridmesh/agent.toml", "./opt/gridmesh/runtime/bin/java", "./opt/gridmesh/lib/");
        Run info = run(null, tmp, 60, "dpkg-deb", "-f", deb.toString(), "Architecture", "Package");
        assertThat(info.out()).contains("Architecture: amd64", "Package: gridmesh");

        Path unpacked = tmp.resolve("root");
        assertThat(run(null, tmp, 120, "dpkg-deb", "-x", deb.toString(), unpacked.toString()).exit()).isZero();
        Path launcher = unpacked.resolve("opt/gridmesh/bin/gridmesh");

        // a PATH with only the tools the launcher runs, no java anywhere on it
        Path bin = Files.createDirectories(tmp.resolve("bin"));
        for (String tool : List.of("bash", "env", "readlink", "dirname", "sed", "head", "find", "cat")) {
            Path real = Path.of("/usr/bin", tool);
            Files.copy(Files.exists(real) ? real : Path.of("/bin", tool), bin.resolve(tool),
                    java.nio.file.StandardCopyOption.COPY_ATTRIBUTES);
        }
        Map<String, String> env = Map.of("PATH", bin.toString(), "HOME", tmp.toString());
        Run version = run(env, tmp, 60, launcher.toString(), "--version");
        assertThat(version.exit()).as(version.out()).isZero();
        assertThat(version.out()).startsWith("gridmesh ");
        Run home = run(env, tmp, 60, launcher.toString(), "--launcher-java-home");
        assertThat(Path.of(home.out().strip()).toRealPath()).isEqualTo(unpacked.resolve("opt/gridmesh/runtime").toRealPath());

        // the shipped default config is all comments: the agent says what is missing (usage, exit 2)
        Run agent = run(env, tmp, 60, launcher.toString(), "agent", "--config",
                unpacked.resolve("etc/gridmesh/agent.toml").toString());
        assertThat(agent.exit()).as(agent.out()).isEqualTo(2);
        assertThat(agent.out()).contains("--server");

        // a relay on loopback with metrics: TLS, H2, jdk.httpserver and the TOML parser all in the runtime
        Path cfg = tmp.resolve("relay.toml");
        Files.writeString(cfg, "listen = \"127.0.0.1:0\"\nstun_listen = \"off\"\nmetrics_listen = \"127.0.0.1:0\"\n");
        // ... as systemd runs it: NOTIFY_SOCKET (socat stands in for systemd) and JOURNAL_STREAM
        Path notify = tmp.resolve("notify.sock");
        Path notified = tmp.resolve("notify.out");
        Process sd = new ProcessBuilder("socat", "-u", "UNIX-RECV:" + notify, "STDOUT")
                .redirectOutput(notified.toFile()).start();
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!Files.exists(notify) && System.nanoTime() < until) {
            Thread.onSpinWait(); // socat binds within milliseconds
        }
        ProcessBuilder rpb = new ProcessBuilder(launcher.toString(), "relay", "--config", cfg.toString(), "--state-dir",
                tmp.resolve("relay-state").toString()).redirectErrorStream(true).directory(tmp.toFile())
                .redirectOutput(tmp.resolve("relay.out").toFile());
        rpb.environment().put("NOTIFY_SOCKET", notify.toString());
        rpb.environment().put("JOURNAL_STREAM", "8:12345");
        Process relay = rpb.start();
        relay.getOutputStream().close();
        try {
            List<String> lines = List.of();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
            while (System.nanoTime() < deadline && relay.isAlive()
                    && lines.stream().noneMatch(l -> l.startsWith("relay: metrics"))) {
                Thread.sleep(50); // bounded poll of the relay's output file
                lines = Files.readAllLines(tmp.resolve("relay.out"));
            }
            assertThat(lines).as(String.join("\n", lines)).anyMatch(l -> l.startsWith("relay: metrics on http port "));
            // TLS through BoringSSL: netty-tcnative's native library (inside its jar) loads on the jlink runtime
            assertThat(lines).anyMatch(l -> l.contains("relay: listening on tcp") && l.contains("tls openssl"));
            // under systemd log lines carry a journald priority, no timestamp of their own
            assertThat(lines).anyMatch(l -> l.startsWith("<6>INFO "));
            assertThat(lines).noneMatch(l -> l.matches("^\\d\\d:\\d\\d:\\d\\d.*"));
            // systemd's view of readiness: READY=1 comes once SIGTERM is handled
            while (System.nanoTime() < deadline && !Files.readString(notified).contains("READY=1")) {
                Thread.sleep(20); // bounded poll of what socat received
            }
            assertThat(Files.readString(notified)).contains("READY=1");
            long t0 = System.nanoTime();
            relay.destroy(); // SIGTERM
            assertThat(relay.waitFor(5, TimeUnit.SECONDS)).as("exits within 5 s of SIGTERM").isTrue();
            assertThat(relay.exitValue()).isZero();
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(5));
            sd.destroy();
            sd.waitFor(5, TimeUnit.SECONDS);
            assertThat(Files.readString(notified)).contains("READY=1", "STATUS=0 nodes online", "STOPPING=1");
        } finally {
            relay.destroyForcibly();
            sd.destroyForcibly();
        }
    }
}
