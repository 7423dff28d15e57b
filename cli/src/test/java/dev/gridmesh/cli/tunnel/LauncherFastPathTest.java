package dev.gridmesh.cli.tunnel;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The real bash launcher's fast paths ({@code gridmesh tunnel} through the helper, {@code gridmesh ssh} building its
 * ProxyCommand) from a copy laid out as a distribution whose lib/ is empty and whose JDK
 * ({@code GRIDMESH_JAVA_HOME}) is a fake: its {@code bin/java} only says so and exits 3. Whatever reaches the JVM
 * path shows that line, so a pass proves no JVM was started.
 */
class LauncherFastPathTest extends HelperFixture {
    static final String NO_JVM = "fake java started";
    Path launcher;
    Path fakeJdk;

    @BeforeEach
    void distribution() throws IOException {
        Path root = Path.of("").toAbsolutePath().getParent(); // surefire runs in cli/
        Path bin = Files.createDirectories(dir.resolve("dist"));
        Files.createDirectories(bin.resolve("lib"));
        launcher = bin.resolve("gridmesh");
        Files.copy(root.resolve("gridmesh"), launcher);
        Files.setPosixFilePermissions(launcher, PosixFilePermissions.fromString("rwxr-xr-x"));
        fakeJdk = dir.resolve("fake-jdk");
        Files.createDirectories(fakeJdk.resolve("bin"));
        Files.writeString(fakeJdk.resolve("release"), "JAVA_VERSION=\"25.0.1\"\n");
        Files.writeString(fakeJdk.resolve("bin/java"), "#!/bin/sh\necho 'fake java started' >&2\nexit 3\n");
        Files.setPosixFilePermissions(fakeJdk.resolve("bin/java"), PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    record Run(int exit, String out, String err) {}

    /** Runs the launcher with {@code stdin} (then EOF, unless null: left open until the process ends). */
    Run run(byte[] stdin, List<String> env, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("bash", launcher.toString()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile());
        pb.environment().remove("XDG_CONFIG_HOME");
        pb.environment().remove("GRIDMESH_TUNNEL_PERSIST");
        pb.environment().put("HOME", dir.resolve("home").toString());
        pb.environment().put("GRIDMESH_JAVA_HOME", fakeJdk.toString());
        for (String kv : env) {
            pb.environment().put(kv.substring(0, kv.indexOf('=')), kv.substring(kv.indexOf('=') + 1));
        }
        Process p = pb.start();
        CompletableFuture<byte[]> out = CompletableFuture.supplyAsync(() -> readAll(p.getInputStream()));
        CompletableFuture<byte[]> err = CompletableFuture.supplyAsync(() -> readAll(p.getErrorStream()));
        OutputStream in = p.getOutputStream();
        if (stdin != null) {
            in.write(stdin);
            in.close();
        }
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("launcher ended").isTrue();
        in.close();
        return new Run(p.exitValue(), new String(out.get(10, TimeUnit.SECONDS), StandardCharsets.UTF_8),
                new String(err.get(10, TimeUnit.SECONDS), StandardCharsets.UTF_8));
    }

    static byte[] readAll(java.io.InputStream in) {
        try {
            return in.readAllBytes();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void tunnelMovesBytesHalfClosesAndReturnsExitCodesWithoutAJvm() throws Exception {
        try (TunnelHelper h = start(60_000)) {
            String big = "0123456789".repeat(20_000);
            Run ok = run(big.getBytes(StandardCharsets.US_ASCII), List.of(), "tunnel", "worker", "22");
            assertThat(ok.err()).isEmpty();
            assertThat(ok.exit()).isZero();
            assertThat(ok.out()).isEqualTo("got 200000: " + big); // all of stdin, then EOF, then the answer
            Run viaRelay = run("x".getBytes(StandardCharsets.US_ASCII), List.of(), "tunnel", "--via=relay", "worker", "22");
            assertThat(viaRelay.out()).isEqualTo("got 1: x");

            // the worker's EOF first, our stdin still open: its bytes, exit 0
            Run early = run(null, List.of(), "tunnel", "--via", "relay", "worker", "23");
            assertThat(early.exit()).as(early.err()).isZero();
            assertThat(early.out()).isEqualTo("early");

            // refusals and resets: one line, exit 1, the JVM path's words
            Run ghost = run(new byte[0], List.of(), "tunnel", "ghost", "22");
            assertThat(ghost.exit()).isEqualTo(1);
            assertThat(ghost.err()).isEqualTo("gridmesh: tunnel to ghost:22 refused: no node named ghost on this relay\n");
            Run reset = run(new byte[0], List.of(), "tunnel", "worker", "24");
            assertThat(reset.exit()).isEqualTo(1);
            assertThat(reset.err()).isEqualTo("gridmesh: tunnel reset: worker went away (test)\n");
            assertThat(h.counters().streams()).isEqualTo(4);
            assertThat(h.counters().refusedSecret()).isZero();
            // a relative --state-dir is the caller's (the helper runs in another directory)
            Run rel = run(new byte[0], List.of(), "tunnel", "--via", "mesh", "--state-dir", "rel", "worker", "22");
            assertThat(rel.exit()).isEqualTo(1);
            assertThat(rel.err()).isEqualTo("gridmesh: tunnel worker:22: no gridmesh agent at " + dir.resolve("rel/agent.sock") + "\n");

            // GRIDMESH_TUNNEL_PERSIST=0: the JVM path, helper untouched
            Run off = run(new byte[0], List.of("GRIDMESH_TUNNEL_PERSIST=0"), "tunnel", "worker", "22");
            assertThat(off.err()).contains(NO_JVM);
            assertThat(h.counters().streams()).isEqualTo(4);

            // the file names a process that is gone (its port could be anyone's now): the JVM path, nothing sent
            Path file = config.resolve(TunnelHelper.FILE);
            String real = Files.readString(file);
            Files.writeString(file, "GMT1 " + h.port() + " " + h.secret() + " 999999999\n");
            Run gone = run(new byte[0], List.of(), "tunnel", "worker", "22");
            assertThat(gone.err()).contains(NO_JVM);
            assertThat(h.counters().streams()).isEqualTo(4);
            Files.writeString(file, real);
        }
        // a stale file (the helper is gone, its port closed): the JVM path, which would start a new helper
        Files.writeString(config.resolve(TunnelHelper.FILE), "GMT1 1 " + "0".repeat(64) + " 1\n");
        Run stale = run(new byte[0], List.of(), "tunnel", "worker", "22");
        assertThat(stale.err()).as("nothing but the JVM's own output").isEqualTo(NO_JVM + "\n");
    }

    @Test
    void sshBuildsTheJavaProxyCommandWordForWord() throws Exception {
        Path bin = Files.createDirectories(dir.resolve("bin"));
        Path ssh = bin.resolve("ssh");
        Files.writeString(ssh, "#!/bin/sh\nfor a in \"$@\"; do printf '%s\\n' \"$a\"; done\nexit 7\n");
        Files.setPosixFilePermissions(ssh, PosixFilePermissions.fromString("rwxr-xr-x"));
        String path = "PATH=" + bin + ":" + System.getenv("PATH");
        String real = launcher.toRealPath().toString();
        String odd = dir.resolve("state dir's %d").toString();
        Run r = run(new byte[0], List.of(path), "ssh", "--via=RELAY", "--state-dir", odd, "-p", "2222", "-o", "BatchMode=yes",
                "root@worker", "echo 'hi'; exit 3");
        assertThat(r.exit()).as(r.err()).isEqualTo(7);
        assertThat(r.out()).isEqualTo(String.join("\n", "-o", "ProxyCommand=" + ProxyCommandLine.forLauncher(real, "relay", odd),
                "-p", "2222", "-o", "BatchMode=yes", "root@worker", "echo 'hi'; exit 3", ""));
        assertThat(ProxyCommandLine.forLauncher(real, "relay", odd)).contains("'" + dir.resolve("state dir'\\''s %%d") + "'");
        Run plain = run(new byte[0], List.of(path), "ssh", "worker");
        assertThat(plain.out()).isEqualTo(String.join("\n", "-o", "ProxyCommand=" + ProxyCommandLine.forLauncher(real, null, null),
                "worker", ""));
        // what the Java version must say itself (a missing value, no NODE): the JVM path
        assertThat(run(new byte[0], List.of(path), "ssh", "--via").err()).contains(NO_JVM);
        assertThat(run(new byte[0], List.of(path), "ssh", "--via", "mesh").err()).contains(NO_JVM);
        assertThat(run(new byte[0], List.of(path), "ssh", "--via", "sideways", "worker").err()).contains(NO_JVM);
        // disabled: the JVM path
        assertThat(run(new byte[0], List.of(path, "GRIDMESH_TUNNEL_PERSIST=0"), "ssh", "worker").err()).contains(NO_JVM);
    }
}
