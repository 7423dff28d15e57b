package dev.gridmesh.integration.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gridmesh.agent.control.StateDir;
import dev.gridmesh.agent.localapi.LocalApiServer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * As root, runs commands as {@code nobody} ({@code setpriv --reuid=nobody --regid=nogroup --clear-groups}):
 * <ul>
 *   <li>the local API socket (mode 0660, group root here, {@code gridmesh} under the unit) refuses a user outside its
 *       group, for a raw client (socat) and for {@code gridmesh status}/{@code peers} (one line, exit 1), and serves
 *       the same uid once it is in the socket's group;</li>
 *   <li>an agent started on a state dir it cannot write fails in one line naming the dir, exit 1, before any
 *       network or TUN work.</li>
 * </ul>
 * The CLI runs as a JVM on {@code cli/target/dist/lib} (world-readable), with the JDK running this test.
 */
@Tag("netns")
class BadInputTest {
    static Path lib;
    static String java;

    @BeforeAll
    static void needRoot() throws Exception {
        boolean root = "root".equals(System.getProperty("user.name"));
        if (!root) {
            assertThat(System.getenv("CI")).as("CI must run this test as root").isNotEqualTo("true");
            assumeTrue(false, "not root: skipping tests that switch to the nobody user");
        }
        for (Path d = Path.of("").toAbsolutePath(); d != null; d = d.getParent()) {
            if (Files.isDirectory(d.resolve("cli/target/dist/lib"))) {
                lib = d.resolve("cli/target/dist/lib");
                break;
            }
        }
        assertThat(lib).as("cli/target/dist/lib (mvn -pl cli -am install)").isNotNull();
        java = ProcessHandle.current().info().command().orElseThrow();
    }

    record Run(int exit, String out, String err) {}

    static Run asNobody(String group, String stdin, String... cmd) throws Exception {
        List<String> all = new ArrayList<>(List.of("setpriv", "--reuid=nobody", "--regid=" + group, "--clear-groups"));
        all.addAll(List.of(cmd));
        Process p = new ProcessBuilder(all).start();
        try (var in = p.getOutputStream()) {
            in.write(stdin.getBytes(StandardCharsets.UTF_8));
        } catch (java.io.IOException e) {
            // the command already exited (refused): its exit code and stderr tell
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        return new Run(p.exitValue(), out, err);
    }

    static String[] gridmesh(String... args) {
        List<String> c = new ArrayList<>(List.of(java, "-XX:TieredStopAtLevel=1", "-Xmx64m", "-cp", lib + "/*",
                "dev.gridmesh.cli.Main"));
        c.addAll(List.of(args));
        return c.toArray(String[]::new);
    }

    @Test
    void localSocketRefusesUsersOutsideItsGroup(@TempDir Path tmp) throws Exception {
        Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path dir = Files.createDirectory(tmp.resolve("state"),
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-x--x")));
        Path sock = StateDir.socketPath(dir);
        var status = new ObjectMapper().readTree("{\"schemaVersion\":1,\"self\":{},\"peers\":[]}");
        try (LocalApiServer api = LocalApiServer.start(sock, Map.of("status", p -> status))) {
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(sock))).isEqualTo("rw-rw----");
            Run raw = asNobody("nogroup", "{\"op\":\"status\"}\n", "socat", "-t5", "-", "UNIX-CONNECT:" + sock);
            assertThat(raw.exit()).isNotZero();
            assertThat(raw.err()).contains("Permission denied");
            assertThat(raw.out()).isEmpty();

            Run cli = asNobody("nogroup", "", gridmesh("status", "--state-dir", dir.toString()));
            assertThat(cli.exit()).as(cli.err()).isEqualTo(1);
            assertThat(cli.err().strip().split("\n")).hasSize(1);
            assertThat(cli.err()).startsWith("gridmesh: status: ").containsIgnoringCase("permission denied");

            Run peers = asNobody("nogroup", "", gridmesh("peers", "--state-dir", dir.toString()));
            assertThat(peers.exit()).isEqualTo(1);

            // the same uid in the socket's group (root here; gridmesh under the unit) is served
            Run member = asNobody("root", "{\"op\":\"status\"}\n", "socat", "-t5", "-", "UNIX-CONNECT:" + sock);
            assertThat(member.exit()).as(member.err()).isZero();
            assertThat(member.out()).contains("\"ok\":true");
        }
    }

    @Test
    void agentOnAStateDirItCannotWriteFailsInOneLine(@TempDir Path tmp) throws Exception {
        Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path dir = Files.createDirectory(tmp.resolve("state"),
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
        Run r = asNobody("nogroup", "", gridmesh("agent", "--state-dir", dir.toString(), "--server", "127.0.0.1:9",
                "--pin", "sha256:" + "a".repeat(64), "--token", "t"));
        assertThat(r.exit()).as(r.err()).isEqualTo(1);
        assertThat(r.err().strip().split("\n")).as(r.err()).hasSize(1);
        assertThat(r.err()).startsWith("gridmesh: agent: state dir " + dir).contains("permission denied");
        try (var s = Files.list(dir)) {
            assertThat(s.toList()).as("nothing written").isEmpty();
        }
    }
}
