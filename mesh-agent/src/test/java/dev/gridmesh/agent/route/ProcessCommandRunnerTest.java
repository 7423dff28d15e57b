package dev.gridmesh.agent.route;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class ProcessCommandRunnerTest {
    private final ProcessCommandRunner runner = new ProcessCommandRunner();

    @Test
    void returnsStdout() throws Exception {
        assertThat(runner.run(List.of("echo", "hello"))).isEqualTo("hello\n");
    }

    @Test
    void nonZeroExitCarriesStderr() {
        assertThatThrownBy(() -> runner.run(List.of("sh", "-c", "echo out; echo 'it broke' >&2; exit 3")))
                .isInstanceOfSatisfying(CommandException.class, e -> {
                    assertThat(e.exitCode()).isEqualTo(3);
                    assertThat(e.getMessage()).isEqualTo("`sh -c echo out; echo 'it broke' >&2; exit 3` failed"
                            + " (exit 3): it broke");
                });
    }

    @Test
    void missingProgramIsExplained() {
        assertThatThrownBy(() -> runner.run(List.of("gridmesh-no-such-program-x")))
                .isInstanceOf(CommandException.class).hasMessageContaining("cannot run gridmesh-no-such-program-x");
    }
}
