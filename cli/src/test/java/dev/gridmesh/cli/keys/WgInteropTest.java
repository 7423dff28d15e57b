package dev.gridmesh.cli.keys;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.gridmesh.cli.CliRun;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;

/**
 * Keys made by gridmesh are accepted by the real wg(8) and the other way round. Skips when wg is not installed,
 * except under CI (CI=true), which installs wireguard-tools: there a missing wg fails the test.
 */
class WgInteropTest {
    static Path wg;

    @BeforeAll
    static void findWg() {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":")) {
            Path p = Path.of(dir, "wg");
            if (Files.isExecutable(p)) {
                wg = p;
                break;
            }
        }
        if (wg == null && Files.isExecutable(Path.of("/usr/bin/wg"))) {
            wg = Path.of("/usr/bin/wg");
        }
        boolean ci = "true".equalsIgnoreCase(System.getenv("CI"));
        assertThat(wg != null || !ci).as("CI=true but wg (wireguard-tools) is not installed").isTrue();
        assumeTrue(wg != null, "wg (wireguard-tools) not installed: skipping interop with the real wg");
    }

    @RepeatedTest(5)
    void wgPubkeyAcceptsOurKeygen() throws Exception {
        String priv = CliRun.run("keygen").out();
        Result r = wg(priv, "pubkey");
        assertThat(r.exit).as(r.err).isZero();
        assertThat(r.out).isEqualTo(CliRun.withStdin(priv, "pubkey").out());
    }

    @RepeatedTest(5)
    void ourPubkeyAcceptsWgGenkey() throws Exception {
        Result priv = wg("", "genkey");
        assertThat(priv.exit).as(priv.err).isZero();
        CliRun ours = CliRun.withStdin(priv.out, "pubkey");
        assertThat(ours.exit()).as(ours.err()).isZero();
        assertThat(ours.out()).isEqualTo(wg(priv.out, "pubkey").out);
    }

    @Test
    void pskFormatsAgree() throws Exception {
        Result psk = wg("", "genpsk");
        assertThat(psk.out).matches("[A-Za-z0-9+/]{43}=\n");
        assertThat(CliRun.withStdin(psk.out, "pubkey").exit()).isZero(); // same text form: parses as a key
        String ours = CliRun.run("genpsk").out();
        assertThat(wg(ours, "pubkey").exit).isZero();
    }

    @Test
    void bothRejectTheSameBadInput() throws Exception {
        for (String bad : new String[] {"abc\n", "", " " + CliRun.withStdin("keygen").out()}) {
            assertThat(wg(bad, "pubkey").exit).as("wg on %s", bad).isEqualTo(1);
            assertThat(CliRun.withStdin(bad, "pubkey").exit()).as("gridmesh on %s", bad).isEqualTo(1);
        }
    }

    record Result(int exit, String out, String err) {}

    static Result wg(String stdin, String... args) throws IOException, InterruptedException {
        String[] cmd = new String[args.length + 1];
        cmd[0] = wg.toString();
        System.arraycopy(args, 0, cmd, 1, args.length);
        Process p = new ProcessBuilder(cmd).start();
        p.getOutputStream().write(stdin.getBytes(StandardCharsets.US_ASCII));
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.US_ASCII);
        assertThat(p.waitFor(10, TimeUnit.SECONDS)).as("wg finished").isTrue();
        return new Result(p.exitValue(), out, err);
    }
}
