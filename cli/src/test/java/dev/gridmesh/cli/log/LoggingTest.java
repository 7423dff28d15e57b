package dev.gridmesh.cli.log;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.LoggingEvent;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Log lines as the real process prints them (a child JVM running {@code dev.gridmesh.cli.Main}, so that logback.xml
 * is read fresh): timestamp on a terminal, journald priority and no timestamp under systemd, stack traces only with
 * {@code --debug}.
 */
class LoggingTest {
    static final String KEY = "gIXahCudDA+ZdERgVyQFY5ypviOxK3rr4MnHmEfdm3Y=";

    @TempDir Path dir;

    @Test
    void journalDetection() {
        assertThat(Logging.underJournal(Map.of("JOURNAL_STREAM", "8:12345"))).isTrue();
        assertThat(Logging.underJournal(Map.of("JOURNAL_STREAM", ""))).isFalse();
        assertThat(Logging.underJournal(Map.of())).isFalse();
    }

    @Test
    void journalPriorities() {
        JournalPriorityConverter c = new JournalPriorityConverter();
        assertThat(c.convert(event(Level.ERROR))).isEqualTo("<3>");
        assertThat(c.convert(event(Level.WARN))).isEqualTo("<4>");
        assertThat(c.convert(event(Level.INFO))).isEqualTo("<6>");
        assertThat(c.convert(event(Level.DEBUG))).isEqualTo("<7>");
    }

    private static LoggingEvent event(Level level) {
        LoggingEvent e = new LoggingEvent();
        e.setLevel(level);
        e.setLoggerContext(new LoggerContext());
        e.setMessage("m");
        return e;
    }

    /** A file whose parse logs one warning (DNS ignored) and then fails (line 4). */
    private Path warnThenFail() throws IOException {
        Path f = dir.resolve("gmlog0.conf");
        Files.writeString(f, "[Interface]\nPrivateKey = " + KEY + "\nDNS = 100.64.0.53\nListenPort = 70000\n");
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-------"));
        return f;
    }

    @Test
    void terminalLinesHaveATimestamp() throws Exception {
        Path f = warnThenFail();
        Child c = gridmesh(Map.of(), "wg-quick", "up", f.toString());
        assertThat(c.exit).isEqualTo(1);
        assertThat(c.err).hasSize(2);
        assertThat(c.err.get(0)).matches("\\d\\d:\\d\\d:\\d\\d\\.\\d{3} WARN  WgQuickParser: \\Q" + f
                + ":3: DNS: ignored (gridmesh does not configure the system resolver)\\E");
        assertThat(c.err.get(1)).isEqualTo("gridmesh: " + f + ":4: ListenPort: 70000 (expected: 0..65535)");
    }

    @Test
    void journalLinesHavePriorityAndNoTimestamp() throws Exception {
        Path f = warnThenFail();
        Child c = gridmesh(Map.of("JOURNAL_STREAM", "8:4242"), "wg-quick", "up", f.toString());
        assertThat(c.exit).isEqualTo(1);
        assertThat(c.err).containsExactly(
                "<4>WARN  WgQuickParser: " + f + ":3: DNS: ignored (gridmesh does not configure the system resolver)",
                "gridmesh: " + f + ":4: ListenPort: 70000 (expected: 0..65535)");
    }

    @Test
    void debugShowsStackTraces() throws Exception {
        Path f = warnThenFail();
        Child c = gridmesh(Map.of(), "--debug", "wg-quick", "up", f.toString());
        assertThat(c.exit).isEqualTo(1);
        assertThat(c.err).anySatisfy(l -> assertThat(l).startsWith("gridmesh: " + f + ":4: ListenPort: 70000"));
        assertThat(c.err).anySatisfy(l -> assertThat(l).startsWith("dev.gridmesh.agent.wgquick.ConfigException: "));
        assertThat(c.err).anySatisfy(l -> assertThat(l).startsWith("\tat dev.gridmesh.agent.wgquick.WgQuickParser"));
    }

    record Child(int exit, List<String> out, List<String> err) {}

    static Child gridmesh(Map<String, String> env, String... args) throws IOException, InterruptedException {
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-cp", cp, "dev.gridmesh.cli.Main"));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().remove("JOURNAL_STREAM");
        pb.environment().putAll(env);
        File errFile = Files.createTempFile("gridmesh-err", ".txt").toFile();
        pb.redirectError(errFile);
        Process p = pb.start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("gridmesh finished").isTrue();
        List<String> err = Files.readAllLines(errFile.toPath()).stream()
                .filter(l -> !l.startsWith("WARNING: ")) // JVM notes about native access, not ours
                .toList();
        Files.delete(errFile.toPath());
        return new Child(p.exitValue(), out.lines().toList(), err);
    }
}
