package dev.gridmesh.nat.netns;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gridmesh.nat.classify.MappingBehavior;
import dev.gridmesh.testsupport.lab.Lab;
import dev.gridmesh.testsupport.lab.LabProcess;
import dev.gridmesh.testsupport.lab.Link;
import dev.gridmesh.testsupport.lab.NatKind;
import dev.gridmesh.testsupport.lab.Netns;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * NAT classification through real Linux NATs: our StunUdpServer on the lab's internet, our NatProbe behind a router
 * of each {@link NatKind}, both in child JVMs inside the namespaces.
 *
 * <pre>
 *   "lan"  198.18.71.2/24 (NetcheckNetnsMain netcheck, child JVM)
 *      |   default via .1
 *   "rtr"  198.18.71.1/24 | NAT kind under test (iptables; see NatKind) | 198.19.71.1/24
 *      |
 *   "inet" 198.19.71.2/24 + 198.19.71.3/24 (NetcheckNetnsMain serve: StunUdpServer on .2:3478, .2:3479, .3:3478)
 * </pre>
 * The probe asks .2:3478 and .3:3478 (two addresses), so address-dependent mappings would show as dependent too.
 */
@Tag("netns")
class NetcheckNetnsTest {
    private static final Duration STEP = Duration.ofSeconds(30);

    @ParameterizedTest
    @EnumSource(NatKind.class)
    void classifiesEachKindOfRealNat(NatKind kind) {
        try (Lab lab = Lab.open("NetcheckNetnsTest-" + kind)) {
            Netns lan = lab.netns("lan");
            Netns rtr = lab.netns("rtr");
            Netns inet = lab.netns("inet");
            Link l = lab.link(lan, "198.18.71.2/24", rtr, "198.18.71.1/24");
            Link w = lab.link(rtr, "198.19.71.1/24", inet, "198.19.71.2/24");
            inet.execOk("ip", "addr", "add", "198.19.71.3/24", "dev", w.bIf());
            lan.defaultRoute("198.18.71.1");
            inet.route("198.18.71.0/24", "198.19.71.1"); // used only when the router does not translate
            rtr.configureNat(kind, l.bIf(), w.aIf(), "198.18.71.0/24");

            LabProcess server = inet.spawn("stun-server",
                    javaMain("serve", "120", "198.19.71.2:3478", "198.19.71.2:3479", "198.19.71.3:3478"));
            try {
                lab.await("STUN server listening", STEP, () -> {
                    assertThat(server.isAlive()).as("server stderr:%n%s", server.stderr()).isTrue();
                    return server.stdout().contains("LISTENING");
                });
                LabProcess probe = lan.spawn("netcheck",
                        javaMain("netcheck", "198.18.71.2", "198.19.71.2:3478", "198.19.71.3:3478"));
                assertThat(probe.waitFor(STEP)).as("netcheck child; stderr:%n%s", probe.stderr()).isZero();
                String report = probe.stdout();
                lab.note(kind + ": " + report.strip());
                System.out.println("netns netcheck " + kind + ": " + report.strip());
                switch (kind) {
                    case ROUTED -> assertThat(report).contains("udp=true", "mapping=" + MappingBehavior.NO_NAT,
                            "endpoints=[/198.18.71.2:");
                    case ENDPOINT_INDEPENDENT -> assertThat(report).contains("udp=true",
                            "mapping=" + MappingBehavior.ENDPOINT_INDEPENDENT, "across=true", "endpoints=[/198.19.71.1:");
                    case ENDPOINT_DEPENDENT -> assertThat(report).contains("udp=true",
                            "mapping=" + MappingBehavior.ENDPOINT_DEPENDENT, "across=true");
                    case UDP_BLOCKED -> assertThat(report).contains("udp=false", "mapping=" + MappingBehavior.UNKNOWN);
                }
            } finally {
                server.stop();
            }
        }
    }

    private static List<String> javaMain(String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-cp");
        cmd.add(System.getProperty("surefire.test.class.path", System.getProperty("java.class.path")));
        cmd.add(NetcheckNetnsMain.class.getName());
        cmd.addAll(List.of(args));
        return cmd;
    }
}
