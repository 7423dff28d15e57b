package dev.gridmesh.cli.config;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gridmesh.cli.CliRun;
import dev.gridmesh.cli.agent.AgentCommand;
import dev.gridmesh.cli.relay.RelayCommand;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import picocli.CommandLine;

/**
 * {@code --config FILE}: one fixture per failure reason in {@code config/bad/} (its first line says
 * {@code # expect: LINE: key: reason}), the commented examples in docs/examples parse, and flags win over the file.
 */
class ConfigFileTest {
    static final Path BAD = Path.of("src/test/resources/config/bad");
    static final Path EXAMPLES = Path.of("../docs/examples");

    static Stream<Path> badFiles() throws IOException {
        try (Stream<Path> s = Files.list(BAD)) {
            return s.filter(p -> p.toString().endsWith(".toml")).sorted().toList().stream();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badFiles")
    void eachBadFileIsOneLineNamingFileLineAndKey(Path file) throws IOException {
        String expect = Files.readAllLines(file).getFirst().replaceFirst("^# expect: ", "");
        String cmd = file.getFileName().toString().startsWith("relay-") ? "relay" : "agent";
        CliRun r = CliRun.run(cmd, "--config", file.toString());
        assertThat(r.exit()).as(r.err()).isEqualTo(2);
        assertThat(r.errLines()).hasSize(1);
        assertThat(r.err()).startsWith("gridmesh: " + cmd + ": " + file + ":" + expect);
        assertThat(r.err()).doesNotContain("yAnz5TF"); // never echo a key
    }

    @Test
    void missingFileIsNamed(@TempDir Path dir) {
        CliRun r = CliRun.run("agent", "--config", dir.resolve("nope.toml").toString());
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains(dir.resolve("nope.toml") + ": no such file");
    }

    @Test
    void agentExampleSetsEveryKeyItHas() {
        AgentCommand a = new AgentCommand();
        new CommandLine(a).parseArgs("--config", EXAMPLES.resolve("agent.toml").toString());
        CommandLine.Model.CommandSpec spec = new CommandLine(a).getCommandSpec();
        assertThat((String) spec.findOption("--server").getValue()).isEqualTo("relay.example.com:8443");
        assertThat((String) spec.findOption("--pin").getValue()).startsWith("sha256:0d3c");
        assertThat((Integer) spec.findOption("--mtu").getValue()).isEqualTo(1420);
        assertThat((String) spec.findOption("--metrics-listen").getValue()).isEqualTo("127.0.0.1:9464");
    }

    @Test
    void relayExampleParses() {
        RelayCommand r = new RelayCommand();
        CommandLine cl = new CommandLine(r);
        cl.parseArgs("--config", EXAMPLES.resolve("relay.toml").toString());
        assertThat((String) cl.getCommandSpec().findOption("--overlay-range").getValue()).isEqualTo("100.64.0.0/10");
        assertThat((String) cl.getCommandSpec().findOption("--metrics-listen").getValue()).isEqualTo("127.0.0.1:9465");
    }

    @Test
    void flagsBeforeOrAfterConfigWinOverTheFile(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("agent.toml");
        Files.writeString(f, "server = \"file.example:1\"\nmtu = 1300\npin = \"sha256:" + "b".repeat(64) + "\"\n");
        for (List<String> args : List.of(List.of("--mtu", "1280", "--config", f.toString(), "--ca", "/x.pem"),
                List.of("--config=" + f, "--mtu=1280", "--ca=/x.pem"))) {
            CommandLine cl = new CommandLine(new AgentCommand());
            cl.parseArgs(args.toArray(String[]::new));
            var spec = cl.getCommandSpec();
            assertThat((Integer) spec.findOption("--mtu").getValue()).as(args.toString()).isEqualTo(1280);
            assertThat((String) spec.findOption("--server").getValue()).isEqualTo("file.example:1");
            // --ca on the command line replaces the file's pin (one exclusive group)
            assertThat((Object) spec.findOption("--pin").getValue()).isNull();
            assertThat(spec.findOption("--ca").getValue().toString()).isEqualTo("/x.pem");
        }
    }

    @Test
    void requiredFlagMayComeFromTheFileOnly(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("agent.toml");
        Files.writeString(f, "mtu = 1300\n");
        CliRun r = CliRun.run("agent", "--config", f.toString(), "--pin", "sha256:" + "c".repeat(64));
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("--server");
    }
}
