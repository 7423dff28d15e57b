package dev.gridmesh.integration.lab;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gridmesh.testsupport.lab.Lab;
import dev.gridmesh.testsupport.lab.LabSweeper;
import dev.gridmesh.testsupport.lab.Link;
import dev.gridmesh.testsupport.lab.NatKind;
import dev.gridmesh.testsupport.lab.Netns;
import dev.gridmesh.testsupport.lab.Traffic;
import dev.gridmesh.testsupport.lab.WgKeyPair;
import dev.gridmesh.testsupport.lab.WireguardGo;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The lab harness against reference software only (wireguard-go, iptables): cheap, and green without gridmesh. */
@Tag("netns")
class LabSelfTest {
    private static final Pattern MAPPED_PORT = Pattern.compile("sport=40000 dport=7 .*?dport=(\\d+)");

    /**
     * wireguard-go to wireguard-go, A initiating; B learns A's endpoint from the handshake.
     * <pre>
     *   gm&lt;run&gt;a                                  gm&lt;run&gt;b
     *  +-----------------------+  veth   +-----------------------+
     *  | wireguard-go gm&lt;r&gt;wa  |---------| wireguard-go gm&lt;r&gt;wb  |
     *  | 198.18.0.1/24         |         | 198.18.0.2/24 :51820  |
     *  | overlay 100.64.0.1/24 |         | overlay 100.64.0.2/24 |
     *  +-----------------------+         +-----------------------+
     * </pre>
     */
    @Test
    void wireguardGoToWireguardGo(TestInfo info) {
        try (Lab lab = Lab.open(name(info), "wireguard-go", "wg", "socat")) {
            Netns a = lab.netns("a");
            Netns b = lab.netns("b");
            Link link = lab.link(a, "198.18.0.1/24", b, "198.18.0.2/24");
            WgKeyPair ka = WgKeyPair.generate(lab);
            WgKeyPair kb = WgKeyPair.generate(lab);
            WireguardGo wa = WireguardGo.start(a, lab.globalIfname("wa"), ka, 51820, "100.64.0.1/24");
            WireguardGo wb = WireguardGo.start(b, lab.globalIfname("wb"), kb, 51820, "100.64.0.2/24");
            wa.setPeer(new WireguardGo.Peer(kb.publicKey(), "100.64.0.2/32", link.bIp() + ":51820", 0));
            wb.setPeer(new WireguardGo.Peer(ka.publicKey(), "100.64.0.1/32", null, 0));

            lab.await("ping a -> b over the tunnel", Duration.ofSeconds(10), () -> a.pingOnce("100.64.0.2"));
            assertThat(wb.endpoint(ka.publicKey())).contains(link.aIp() + ":51820");
            assertThat(wb.latestHandshake(ka.publicKey())).isPositive();

            Traffic.Transfer t = Traffic.transfer("a-to-b", a, b, "100.64.0.2", 32L << 20, Duration.ofSeconds(60));
            assertThat(t.intact()).as("sha256 sent %s vs received %s", t.sentSha256(), t.receivedSha256()).isTrue();
        }
    }

    /**
     * Checks what each {@link NatKind} does to a UDP flow from one source port to two destinations, by reading the
     * router's conntrack table; then that {@code conntrack -F} forgets the mappings.
     * <pre>
     *   gm&lt;run&gt;c          gm&lt;run&gt;nat                 gm&lt;run&gt;inet
     *  +-----------+ lan  +--------------+  wan   +-----------------+
     *  | client    |------| KIND         |--------| 198.18.2.1/24   |
     *  | .1.2/24   |      | .1.1 | .2.2  |        | 198.18.2.3/24   |
     *  +-----------+      +--------------+        +-----------------+
     *   (198.18.x.y; client sends UDP from port 40000 to .2.1:7 and .2.3:7)
     * </pre>
     */
    @ParameterizedTest
    @EnumSource(NatKind.class)
    void natKindsMapAsDocumented(NatKind kind, TestInfo info) {
        try (Lab lab = Lab.open(name(info) + "-" + kind, "socat")) {
            Netns c = lab.netns("c");
            Netns nat = lab.netns("nat");
            Netns inet = lab.netns("inet");
            Link lan = lab.link(c, "198.18.1.2/24", nat, "198.18.1.1/24");
            Link wan = lab.link(nat, "198.18.2.2/24", inet, "198.18.2.1/24");
            inet.execOk("ip", "addr", "add", "198.18.2.3/24", "dev", wan.bIf());
            c.defaultRoute(lan.bIp());
            inet.route("198.18.1.0/24", wan.aIp()); // only used by the ROUTED kind
            nat.configureNat(kind, lan.bIf(), wan.aIf(), "198.18.1.0/24");

            assertThat(c.pingOnce("198.18.2.1")).as("client reaches the internet").isTrue();
            if (kind != NatKind.ROUTED) {
                assertThat(inet.pingOnce(wan.aIp())).as("unsolicited ping to the router's WAN side dropped").isFalse();
            }
            for (String dst : List.of("198.18.2.1", "198.18.2.3")) {
                c.shOk("echo probe | socat -u STDIN UDP:" + dst + ":7,sourceport=40000,reuseaddr");
            }
            String table = nat.exec("conntrack", "-L", "-p", "udp").stdout();
            List<Integer> mapped = new ArrayList<>();
            for (String line : table.split("\n")) {
                Matcher m = MAPPED_PORT.matcher(line);
                if (m.find()) {
                    mapped.add(Integer.parseInt(m.group(1)));
                }
            }
            switch (kind) {
                case ROUTED -> { } // no translation; conntrack may not even be active in this namespace
                case ENDPOINT_INDEPENDENT -> assertThat(mapped).as("one mapping for both destinations:\n%s", table)
                        .hasSize(2).containsOnly(mapped.get(0));
                case ENDPOINT_DEPENDENT -> assertThat(mapped).as("a mapping per destination:\n%s", table)
                        .hasSize(2).doesNotHaveDuplicates();
                case UDP_BLOCKED -> assertThat(mapped).as("no UDP flow gets through:\n%s", table).isEmpty();
            }
            nat.flushConntrack();
            assertThat(nat.exec("conntrack", "-L", "-p", "udp").stdout()).doesNotContain("sport=40000");
        }
    }

    /** A test body that throws still leaves no namespace, process or registration behind. */
    @Test
    void teardownAfterAFailingBody(TestInfo info) {
        String[] prefix = new String[1];
        dev.gridmesh.testsupport.lab.LabProcess[] proc = new dev.gridmesh.testsupport.lab.LabProcess[1];
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> {
            try (Lab lab = Lab.open(name(info))) {
                prefix[0] = Lab.PREFIX + lab.runId();
                Netns a = lab.netns("a");
                Netns b = lab.netns("b");
                lab.link(a, "198.18.0.1/24", b, "198.18.0.2/24");
                proc[0] = a.spawn("sleeper", List.of("sleep", "600"));
                throw new IllegalStateException("test body failed");
            }
        }).hasMessage("test body failed");
        assertThat(LabSweeper.namespacesWithPrefix(prefix[0])).isEmpty();
        assertThat(proc[0].isAlive()).isFalse();
        assertThat(Lab.REGISTRY.resolve(prefix[0])).doesNotExist();
    }

    /** A namespace registered to a dead owner is swept; a live run's namespaces are left alone. */
    @Test
    void sweeperRemovesNamespacesOfDeadRunsOnly(TestInfo info) throws Exception {
        try (Lab lab = Lab.open(name(info))) {
            lab.netns("live");
            String dead = "gmzz" + lab.runId().substring(0, 2);
            lab.execHost(List.of("ip", "netns", "add", dead + "x")).requireOk();
            java.nio.file.Files.writeString(Lab.REGISTRY.resolve(dead), "999999999 1\n");
            LabSweeper.sweepStale();
            assertThat(LabSweeper.namespacesWithPrefix(dead)).isEmpty();
            assertThat(LabSweeper.namespacesWithPrefix(Lab.PREFIX + lab.runId())).hasSize(1);
        }
    }

    private static String name(TestInfo info) {
        return info.getTestClass().map(Class::getSimpleName).orElse("test") + "."
                + info.getTestMethod().map(java.lang.reflect.Method::getName).orElse("x");
    }
}
