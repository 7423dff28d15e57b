package dev.gridmesh.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Exit codes and the one-line error rule of the root command. */
class CliErrorsTest {
    @Test
    void noCommandIsAUsageError() {
        CliRun r = CliRun.run();
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.errLines()).containsExactly("gridmesh: missing command (see 'gridmesh --help')");
        assertThat(r.out()).isEmpty();
    }

    @Test
    void unknownOptionIsOneLineExit2() {
        CliRun r = CliRun.run("--frobnicate");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.errLines()).containsExactly("gridmesh: unknown option: '--frobnicate' (see 'gridmesh --help')");
    }

    @Test
    void unknownSubcommandOptionNamesTheCommand() {
        CliRun r = CliRun.run("keygen", "--bits", "4096");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.errLines()).hasSize(1);
        assertThat(r.errLines()[0]).startsWith("gridmesh: keygen: unknown option").endsWith("(see 'gridmesh keygen --help')");
    }

    @Test
    void unknownCommand() {
        CliRun r = CliRun.run("frob");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.errLines()).hasSize(1);
        assertThat(r.errLines()).containsExactly("gridmesh: unknown command: 'frob' (see 'gridmesh --help')");
        CliRun typo = CliRun.run("shw");
        assertThat(typo.exit()).isEqualTo(2);
        assertThat(typo.errLines()).hasSize(1); // the suggestions grow with the command set: check the shape
        assertThat(typo.errLines()[0]).startsWith("gridmesh: unknown command: 'shw' (did you mean: ")
                .contains("show").endsWith("?) (see 'gridmesh --help')");
        CliRun verb = CliRun.run("wg-quick", "upp", "wg0");
        assertThat(verb.exit()).isEqualTo(2);
        assertThat(verb.errLines()).hasSize(1);
        assertThat(verb.errLines()[0]).startsWith("gridmesh: wg-quick: unknown command: 'upp' (did you mean: up");
    }

    @Test
    void failureIsOneLineExit1WithoutStackTrace() {
        CliRun r = CliRun.withStdin("not a key\n", "pubkey");
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.errLines()).hasSize(1);
        assertThat(r.err()).doesNotContain("Exception").doesNotContain("\tat ");
    }

    @Test
    void debugAddsTheStackTrace() {
        CliRun r = CliRun.withStdin("not a key\n", "--debug", "pubkey");
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.errLines()[0]).startsWith("gridmesh: pubkey: ");
        assertThat(r.err()).contains("CliException").contains("\tat ");
        CliRun after = CliRun.withStdin("not a key\n", "pubkey", "--debug"); // the option is global: any position
        assertThat(after.err()).contains("\tat ");
    }

    @Test
    void unexpectedExceptionIsStillOneLine() {
        assertThat(CliErrors.describe(new IllegalStateException("boom"), "gridmesh wg-quick up"))
                .isEqualTo("wg-quick up: boom");
        assertThat(CliErrors.describe(new NullPointerException(), "gridmesh keygen"))
                .isEqualTo("keygen: NullPointerException");
        assertThat(CliErrors.describe(new RuntimeException("a\nb"), "gridmesh")).isEqualTo("a; b");
    }

    @Test
    void helpAndVersionExit0() {
        assertThat(CliRun.run("--help").exit()).isZero();
        CliRun v = CliRun.run("--version");
        assertThat(v.exit()).isZero();
        assertThat(v.out()).startsWith("gridmesh ");
    }
}
