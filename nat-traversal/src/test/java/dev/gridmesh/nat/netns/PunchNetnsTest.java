package dev.gridmesh.nat.netns;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gridmesh.testsupport.lab.Lab;
import dev.gridmesh.testsupport.lab.LabProcess;
import dev.gridmesh.testsupport.lab.Link;
import dev.gridmesh.testsupport.lab.NatKind;
import dev.gridmesh.testsupport.lab.Netns;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Hole punching through real Linux NATs: two agents (child JVMs) netcheck against our STUN server, exchange
 * candidates (files stand in for the relay's call-me-maybe), and punch with disco pings on their one UDP socket.
 *
 * <pre>
 *  "lana" 198.18.81.2 --.1 "rtra" [kind A] 198.19.81.1 --.2 "inet" .2 (.19.82.2) -- 198.19.82.1 [kind B] "rtrb" .1-- 198.18.82.2 "lanb"
 *                                                  StunUdpServer on 198.19.81.2:3478 and 198.19.82.2:3478
 * </pre>
 * Routers install the home-router firewall of {@link NatKind} (unsolicited inbound dropped, forwarded and to the
 * router itself).
 */
@Tag("netns")
class PunchNetnsTest {
    private static final Duration STEP = Duration.ofSeconds(45);

    @ParameterizedTest(name = "{0} x {1} -> {2}")
    @CsvSource({
            "ENDPOINT_INDEPENDENT, ENDPOINT_INDEPENDENT, DIRECT",
            "ROUTED, ENDPOINT_DEPENDENT, DIRECT",
            "ENDPOINT_INDEPENDENT, ENDPOINT_DEPENDENT, RELAYED",
            "ENDPOINT_DEPENDENT, ENDPOINT_DEPENDENT, RELAYED",
            "UDP_BLOCKED, ENDPOINT_INDEPENDENT, RELAYED",
    })
    void punchesThroughRealNats(NatKind ka, NatKind kb, String expected) throws Exception {
        try (Lab lab = Lab.open("PunchNetnsTest-" + ka + "-" + kb)) {
            Netns lana = lab.netns("lana");
            Netns rtra = lab.netns("rtra");
            Netns lanb = lab.netns("lanb");
            Netns rtrb = lab.netns("rtrb");
            Netns inet = lab.netns("inet");
            Link la = lab.link(lana, "198.18.81.2/24", rtra, "198.18.81.1/24");
            Link wa = lab.link(rtra, "198.19.81.1/24", inet, "198.19.81.2/24");
            Link lb = lab.link(lanb, "198.18.82.2/24", rtrb, "198.18.82.1/24");
            Link wb = lab.link(rtrb, "198.19.82.1/24", inet, "198.19.82.2/24");
            lana.defaultRoute("198.18.81.1");
            lanb.defaultRoute("198.18.82.1");
            rtra.defaultRoute("198.19.81.2");
            rtrb.defaultRoute("198.19.82.2");
            inet.enableForwarding();
            inet.route("198.18.81.0/24", "198.19.81.1"); // used only by ROUTED sites
            inet.route("198.18.82.0/24", "198.19.82.1");
            rtra.configureNat(ka, la.bIf(), wa.aIf(), "198.18.81.0/24");
            rtrb.configureNat(kb, lb.bIf(), wb.aIf(), "198.18.82.0/24");

            LabProcess server = inet.spawn("stun-server", javaMain(NetcheckNetnsMain.class,
                    "serve", "120", "198.19.81.2:3478", "198.19.82.2:3478"));
            List<LabProcess> agents = new ArrayList<>();
            try {
                lab.await("STUN server listening", STEP, () -> {
                    assertThat(server.isAlive()).as("server stderr:%n%s", server.stderr()).isTrue();
                    return server.stdout().contains("LISTENING");
                });
                Path dir = lab.file("exchange");
                Files.createDirectories(dir);
                String[] stun = {"198.19.81.2:3478", "198.19.82.2:3478"};
                agents.add(lana.spawn("agent-a", javaMain(PunchNetnsMain.class,
                        concat("a", "b", "198.18.81.2", dir.toString(), stun))));
                agents.add(lanb.spawn("agent-b", javaMain(PunchNetnsMain.class,
                        concat("b", "a", "198.18.82.2", dir.toString(), stun))));
                for (LabProcess p : agents) {
                    assertThat(p.waitFor(STEP)).as("%s; stderr:%n%s", p, p.stderr()).isZero();
                }
                String a = agents.get(0).stdout();
                String b = agents.get(1).stdout();
                System.out.printf("netns punch %s x %s:%n%s%s", ka, kb, a, b);
                lab.note(ka + " x " + kb + ":\n" + a + b);
                assertThat(a).contains("RESULT a " + expected);
                assertThat(b).contains("RESULT b " + expected);
            } finally {
                agents.forEach(LabProcess::stop);
                server.stop();
            }
        }
    }

    private static String[] concat(String a, String b, String c, String d, String[] rest) {
        List<String> l = new ArrayList<>(List.of(a, b, c, d));
        l.addAll(List.of(rest));
        return l.toArray(String[]::new);
    }

    private static List<String> javaMain(Class<?> main, String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-cp");
        cmd.add(System.getProperty("surefire.test.class.path", System.getProperty("java.class.path")));
        cmd.add(main.getName());
        cmd.addAll(List.of(args));
        return cmd;
    }
}
