package dev.gridmesh.cli.wgquick;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gridmesh.cli.CliRun;
import dev.gridmesh.crypto.NodePrivateKey;
import dev.gridmesh.testsupport.lab.Lab;
import dev.gridmesh.testsupport.lab.LabProcess;
import dev.gridmesh.testsupport.lab.Netns;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The real process in a network namespace (root): {@code gridmesh wg-quick up} creates the TUN interface with its
 * address and routes, and SIGTERM or SIGINT removes the interface and the socket and exits 0.
 * <pre>
 *   +---------------------------------+
 *   | gm&lt;run&gt;a                        |
 *   |   gm&lt;run&gt;w  100.64.77.1/24      |   no links: nothing leaves the namespace
 *   |   peer 100.64.77.2/32 (absent)  |
 *   +---------------------------------+
 * </pre>
 */
@Tag("netns")
class WgQuickNetnsTest {
    @Test
    void sigtermRemovesInterfaceAndSocket() throws IOException {
        runUntilSignal("TERM");
    }

    @Test
    void sigintRemovesInterfaceAndSocket() throws IOException {
        runUntilSignal("INT");
    }

    private void runUntilSignal(String signal) throws IOException {
        try (Lab lab = Lab.open("WgQuickNetnsTest-" + signal)) {
            Netns ns = lab.netns("a");
            String ifname = lab.globalIfname("w");
            Path run = lab.file("run");
            Path conf = lab.file(ifname + ".conf");
            Files.deleteIfExists(conf);
            Files.createFile(conf, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            String peer = NodePrivateKey.generate().publicKey().toBase64();
            Files.writeString(conf, """
                    [Interface]
                    PrivateKey = %s
                    Address = 100.64.77.1/24
                    MTU = 1380

                    [Peer]
                    PublicKey = %s
                    AllowedIPs = 100.64.77.2/32, 100.64.78.0/24
                    """.formatted(NodePrivateKey.generate().toBase64(), peer));
            String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
            LabProcess up = ns.spawn("gridmesh-up", List.of(
                    Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "--enable-native-access=ALL-UNNAMED", "-cp", cp, "dev.gridmesh.cli.Main",
                    "wg-quick", "up", conf.toString(), "--socket-dir", run.toString()));
            Path sock = run.resolve(ifname + ".sock");
            lab.await(ifname + " up and answering", Duration.ofSeconds(60), () -> {
                assertThat(up.isAlive()).as("gridmesh running; stderr: %s", up.stderr()).isTrue();
                return ns.exec("ip", "-o", "link", "show", ifname, "up").ok()
                        && CliRun.run("show", ifname, "--socket-dir", run.toString()).exit() == 0;
            });

            assertThat(ns.execOk("ip", "-o", "addr", "show", "dev", ifname).stdout()).contains("100.64.77.1/24");
            assertThat(ns.execOk("ip", "-o", "link", "show", ifname).stdout()).contains("mtu 1380");
            String routes = ns.execOk("ip", "route", "show", "dev", ifname).stdout();
            assertThat(routes).contains("100.64.77.0/24").contains("100.64.78.0/24");
            CliRun show = CliRun.run("show", ifname, "--socket-dir", run.toString());
            assertThat(show.out()).startsWith("interface: " + ifname + "\n").contains("peer: " + peer + "\n");
            assertThat(up.stdout()).startsWith("interface: " + ifname + "\n  config: " + conf + "\n");

            lab.execHost(List.of("kill", "-" + signal, Long.toString(up.pid()))).requireOk();
            assertThat(up.waitFor(Duration.ofSeconds(20))).as("exit code; stderr: %s", up.stderr()).isZero();
            assertThat(ns.exec("ip", "link", "show", ifname).ok()).as("interface removed").isFalse();
            assertThat(Files.exists(sock)).as("socket removed").isFalse();
            assertThat(up.stderr()).contains(ifname + ": stopping (SIG" + signal + ")");
        }
    }
}
