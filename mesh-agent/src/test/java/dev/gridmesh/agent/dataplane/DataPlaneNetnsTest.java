package dev.gridmesh.agent.dataplane;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gridmesh.agent.localapi.LocalApiClient;
import dev.gridmesh.agent.localapi.ShowResponse;
import dev.gridmesh.crypto.NodePrivateKey;
import dev.gridmesh.testsupport.lab.Lab;
import dev.gridmesh.testsupport.lab.LabProcess;
import dev.gridmesh.testsupport.lab.Netns;
import dev.gridmesh.testsupport.lab.Traffic;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Two data planes as child JVMs in two namespaces, joined by a veth pair; real TUN, real {@code ip}, real UDP.
 * <pre>
 *   gm<run>a                                             gm<run>b
 *   +---------------------------+   veth 198.18.7.0/24   +---------------------------+
 *   | NetnsPeerMain  gmwg0      |------------------------| NetnsPeerMain  gmwg0      |
 *   | 100.64.0.1/24  UDP :51820 | .1                  .2 | 100.64.0.2/24  UDP :51820 |
 *   +---------------------------+                        +---------------------------+
 * </pre>
 * A knows B's endpoint; B learns A's from the handshake. Pings both ways, a hashed bulk TCP transfer, and
 * {@code show} over the local API socket.
 */
@Tag("netns")
class DataPlaneNetnsTest {
    private static final Duration UP = Duration.ofSeconds(30);

    @Test
    void twoDataPlanesPingAndTransfer() throws Exception {
        try (Lab lab = Lab.open("DataPlaneNetnsTest", "iperf3")) {
            Netns a = lab.netns("a");
            Netns b = lab.netns("b");
            lab.link(a, "198.18.7.1/24", b, "198.18.7.2/24");
            NodePrivateKey ka = NodePrivateKey.generate();
            NodePrivateKey kb = NodePrivateKey.generate();
            Path sockA = lab.file("a.sock");
            Path sockB = lab.file("b.sock");
            LabProcess pb = b.spawn("peer-b", javaMain("gmwg0", kb.toBase64(), "100.64.0.2/24", "51820",
                    sockB.toString(), ka.publicKey().toBase64(), "100.64.0.1/32", "-"));
            lab.await("peer B up", UP, () -> pb.stdout().contains("READY") || !pb.isAlive());
            assertThat(pb.isAlive()).as("peer B: %s", pb.stderr()).isTrue();
            LabProcess pa = a.spawn("peer-a", javaMain("gmwg0", ka.toBase64(), "100.64.0.1/24", "51820",
                    sockA.toString(), kb.publicKey().toBase64(), "100.64.0.2/32", "198.18.7.2:51820"));
            lab.await("peer A up", UP, () -> pa.stdout().contains("READY") || !pa.isAlive());
            assertThat(pa.isAlive()).as("peer A: %s", pa.stderr()).isTrue();

            assertThat(a.addresses("gmwg0")).contains("100.64.0.1");
            a.execOk("ping", "-c", "3", "-i", "0.2", "-W", "5", "100.64.0.2");
            b.execOk("ping", "-c", "3", "-i", "0.2", "-W", "2", "100.64.0.1");

            Traffic.Transfer t = Traffic.transfer("bulk", a, b, "100.64.0.2", 64L << 20, Duration.ofSeconds(120));
            assertThat(t.intact()).isTrue();
            lab.note(String.format("bulk 64 MiB A->B over gridmesh: %.0f Mbit/s", t.mbitPerSecond()));
            System.out.printf("DataPlaneNetnsTest: 64 MiB A->B in %s = %.0f Mbit/s%n", t.elapsed(), t.mbitPerSecond());

            ShowResponse show = new LocalApiClient(sockA).show();
            assertThat(show.iface().name()).isEqualTo("gmwg0");
            assertThat(show.iface().listenPort()).isEqualTo(51820);
            assertThat(show.iface().publicKey()).isEqualTo(ka.publicKey().toBase64());
            assertThat(show.peers()).singleElement().satisfies(p -> {
                assertThat(p.publicKey()).isEqualTo(kb.publicKey().toBase64());
                assertThat(p.endpoint()).isEqualTo("198.18.7.2:51820");
                assertThat(p.latestHandshakeEpochMillis()).isPositive();
                assertThat(p.txBytes()).isGreaterThan(64L << 20);
            });
            ShowResponse showB = new LocalApiClient(sockB).show();
            assertThat(showB.peers().getFirst().endpoint()).isEqualTo("198.18.7.1:51820");

            pa.stop();
            assertThat(pa.stdout()).contains("DOWN");
            assertThat(a.exec("ip", "link", "show", "gmwg0").exitCode()).isNotZero(); // interface removed
            assertThat(sockA).doesNotExist();
            pb.stop();
        }
    }

    static List<String> javaMain(String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("--enable-native-access=ALL-UNNAMED");
        cmd.add("-cp");
        cmd.add(System.getProperty("surefire.test.class.path", System.getProperty("java.class.path")));
        cmd.add(NetnsPeerMain.class.getName());
        cmd.addAll(List.of(args));
        return cmd;
    }
}
