package dev.gridmesh.cli.agent;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gridmesh.agent.control.ControlConfig;
import dev.gridmesh.agent.dataplane.DataPlaneOptions;
import dev.gridmesh.cli.CliRun;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code gridmesh agent --server A,B,...}: several relays of one mesh (docs/multi-relay.md). */
class AgentServersTest {
    @TempDir Path tmp;

    private ControlConfig parse(String servers) throws Exception {
        AgentCommand cmd = new AgentCommand(DataPlaneOptions.withTun(n -> { throw new AssertionError("no TUN here"); }));
        new CommandLine(cmd).parseArgs("--server", servers, "--pin", "sha256:" + "a".repeat(64), "--state-dir",
                tmp.toString());
        return cmd.config().control();
    }

    @Test
    void commaListIsFirstThenAlternates() throws Exception {
        ControlConfig c = parse("198.18.10.1:8443, relay2.example ,[2001:db8::2]:9443");
        assertThat(c.host()).isEqualTo("198.18.10.1");
        assertThat(c.port()).isEqualTo(8443);
        assertThat(c.servers()).extracting(ControlConfig.Server::toString)
                .containsExactly("198.18.10.1:8443", "relay2.example:8443", "[2001:db8::2]:9443");
        assertThat(parse("one.example").servers()).hasSize(1);
    }

    @Test
    void anEmptyOrBadEntryIsRefusedNamingTheValue() {
        CliRun r = CliRun.run("agent", "--server", "h:1,,h:2", "--pin", "sha256:" + "a".repeat(64), "--state-dir",
                tmp.toString());
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err()).contains("--server").contains("h:1,,h:2 (expected: HOST:PORT[,HOST:PORT...]");
        CliRun p = CliRun.run("agent", "--server", "h:1,h:99999", "--pin", "sha256:" + "a".repeat(64), "--state-dir",
                tmp.toString());
        assertThat(p.exit()).isEqualTo(1);
        assertThat(p.err()).contains("h:1,h:99999 (expected: HOST:PORT[,HOST:PORT...]");
    }
}
