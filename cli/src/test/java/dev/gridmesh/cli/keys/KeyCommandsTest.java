package dev.gridmesh.cli.keys;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gridmesh.cli.CliRun;
import dev.gridmesh.crypto.NodePrivateKey;
import dev.gridmesh.crypto.PresharedKey;
import org.junit.jupiter.api.Test;

/** keygen / pubkey / genpsk behave like wg genkey / wg pubkey / wg genpsk (vectors made with wg 1.0.20210914). */
class KeyCommandsTest {
    static final String PRIV = "gIXahCudDA+ZdERgVyQFY5ypviOxK3rr4MnHmEfdm3Y=";
    static final String PUB = "1zoyg07fdVe19R3Va9/FbGjg6UNnE7K+WdfcLbGJhTI=";
    static final String KEY_TEXT = "[A-Za-z0-9+/]{43}=\n";

    @Test
    void keygenPrintsOneClampedKey() {
        CliRun r = CliRun.run("keygen");
        assertThat(r.exit()).isZero();
        assertThat(r.out()).matches(KEY_TEXT);
        assertThat(r.err()).isEmpty();
        byte[] raw = NodePrivateKey.fromBase64(r.out().strip()).toBytes();
        assertThat(java.util.Base64.getDecoder().decode(r.out().strip())).isEqualTo(raw); // already clamped
        assertThat(CliRun.run("keygen").out()).isNotEqualTo(r.out());
    }

    @Test
    void genpskPrintsOneKey() {
        CliRun r = CliRun.run("genpsk");
        assertThat(r.exit()).isZero();
        assertThat(r.out()).matches(KEY_TEXT);
        assertThat(PresharedKey.fromBase64(r.out().strip())).isNotEqualTo(PresharedKey.NONE);
    }

    @Test
    void pubkeyMatchesWgVector() {
        assertThat(CliRun.withStdin(PRIV + "\n", "pubkey").out()).isEqualTo(PUB + "\n");
        assertThat(CliRun.withStdin(PRIV, "pubkey").out()).isEqualTo(PUB + "\n");
        assertThat(CliRun.withStdin(PRIV + "\n\n  \t\n", "pubkey").out()).isEqualTo(PUB + "\n");
    }

    @Test
    void pubkeyOfKeygen() {
        String priv = CliRun.run("keygen").out();
        CliRun r = CliRun.withStdin(priv, "pubkey");
        assertThat(r.exit()).isZero();
        assertThat(r.out().strip()).isEqualTo(NodePrivateKey.fromBase64(priv).publicKey().toBase64());
    }

    @Test
    void badInputIsOneLineExit1() {
        String expected = " (expected: 44 base64 characters as printed by `gridmesh keygen` or `wg genkey`)";
        assertFails("abc\n", "gridmesh: pubkey: key is not the correct length or format" + expected);
        assertFails("", "gridmesh: pubkey: no key on standard input" + expected);
        assertFails(PRIV + " extra\n", "gridmesh: pubkey: trailing characters found after the key" + expected);
        assertFails(" " + PRIV + "\n", "gridmesh: pubkey: trailing characters found after the key" + expected);
        assertFails("!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!=\n",
                "gridmesh: pubkey: key is not the correct length or format" + expected);
    }

    private static void assertFails(String stdin, String line) {
        CliRun r = CliRun.withStdin(stdin, "pubkey");
        assertThat(r.exit()).as("exit for %s", stdin).isEqualTo(1);
        assertThat(r.out()).isEmpty();
        assertThat(r.errLines()).containsExactly(line);
    }
}
