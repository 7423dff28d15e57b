package dev.gridmesh.nat.portmap;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gridmesh.testsupport.lab.Lab;
import dev.gridmesh.testsupport.lab.LabProcess;
import dev.gridmesh.testsupport.lab.Link;
import dev.gridmesh.testsupport.lab.Netns;
import dev.gridmesh.testsupport.portmap.MiniupnpdRouter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * {@link PortMapper} against Debian's real miniupnpd 2.3.1 (nftables backend) on a lab NAT router, for each of PCP,
 * NAT-PMP and UPnP-IGD: map, check miniupnpd's nft DNAT rule, send a datagram from the WAN to the external port and
 * see it arrive at the LAN host, renew, delete on close and check the rule is gone.
 *
 * <pre>
 *   host "lan" (PortMapNetnsMain, child JVM)
 *     198.18.61.2/24 --default via .1
 *          |
 *     198.18.61.1/24  router "rtr": MASQUERADE to WAN, home-router firewall (WAN->LAN only ESTABLISHED or DNAT),
 *          |          miniupnpd: listening_ip = LAN if, ext_ifname = WAN if, NAT-PMP/PCP/UPnP, secure_mode
 *     198.19.61.1/24
 *          |
 *   host "wan" 198.19.61.2/24 + 198.19.61.3/24: coturn --stun-only on both addresses (RFC 5780), and the
 *     sender of the datagrams that must come through the mapping
 * </pre>
 * The router is {@link MiniupnpdRouter} (see there why miniupnpd needs coturn on the WAN side in this lab).
 */
@Tag("netns")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class PortMapMiniupnpdNetnsTest {
    private static final Pattern MAPPED = Pattern.compile("MAPPED (\\S+) (\\S+) (\\d+) (\\d+) (\\d+)");
    private static final Duration STEP = Duration.ofSeconds(20);
    private Lab lab;
    private Netns lan;
    private Netns rtr;
    private Netns wan;
    private MiniupnpdRouter router;

    @BeforeAll
    void setUp() throws Exception {
        lab = Lab.open("PortMapMiniupnpdNetnsTest", "miniupnpd", "turnserver", "nft");
        try {
            lan = lab.netns("lan");
            rtr = lab.netns("rtr");
            wan = lab.netns("wan");
            Link l = lab.link(lan, "198.18.61.2/24", rtr, "198.18.61.1/24");
            Link w = lab.link(rtr, "198.19.61.1/24", wan, "198.19.61.2/24");
            wan.execOk("ip", "addr", "add", "198.19.61.3/24", "dev", w.bIf());
            lan.defaultRoute("198.18.61.1");
            router = MiniupnpdRouter.start(lab, rtr, l.bIf(), "198.18.61.0/24", w.aIf(), wan, "198.19.61.2",
                    "198.19.61.3");
        } catch (Throwable t) {
            lab.close();
            throw t;
        }
    }

    private void restartMiniupnpd(boolean forceV1) {
        router.restart(forceV1);
    }

    @AfterAll
    void tearDown() {
        if (lab != null) {
            lab.close();
        }
    }

    @Order(1)
    @ParameterizedTest
    @EnumSource(PortMapProtocol.class)
    void mapsRenewsAndDeletesAgainstMiniupnpd(PortMapProtocol protocol) {
        LabProcess child = lan.spawn("child-" + protocol, javaMain("map", protocol.name()));
        try {
            lab.await(protocol + " mapped", STEP, () -> {
                assertThat(child.stdout()).as("child stderr:%n%s", child.stderr()).doesNotContain("FAILED");
                return child.stdout().contains("MAPPED");
            });
            Matcher m = MAPPED.matcher(child.stdout());
            assertThat(m.find()).isTrue();
            assertThat(m.group(1)).isEqualTo(protocol.name());
            String extIp = m.group(2);
            int extPort = Integer.parseInt(m.group(3));
            int localPort = Integer.parseInt(m.group(5));
            assertThat(extIp).isEqualTo("198.19.61.1");
            assertThat(extPort).as("external port = internal port when free").isEqualTo(localPort);
            assertThat(Long.parseLong(m.group(4))).isEqualTo(7200);
            String rule = "dport " + extPort + " dnat ip to 198.18.61.2:" + localPort;
            assertThat(natRules()).as("miniupnpd's nft DNAT rule").contains(rule);

            // a datagram from the WAN to the external endpoint reaches the LAN host's socket; it asks for a renewal
            sendFromWan(extIp, extPort, "renew");
            lab.await(protocol + " renewed", STEP, () -> child.stdout().contains("RENEWED")
                    || child.stdout().contains("RENEW_FAILED"));
            assertThat(child.stdout()).contains("RECEIVED renew from /198.19.61.2:")
                    .contains("RENEWED " + extIp + " " + extPort);
            assertThat(natRules()).contains(rule);

            sendFromWan(extIp, extPort, "close");
            lab.await(protocol + " closed", STEP, () -> child.stdout().contains("CLOSED"));
            assertThat(child.waitFor(STEP)).isZero();
            assertThat(child.stdout()).contains("deleted=1");
            assertThat(natRules()).as("rule gone after close").doesNotContain("dport " + extPort + " ");
        } finally {
            child.stop();
        }
    }

    @Order(2)
    @Test
    void probeFindsAllThreeProtocolsAndTheExternalAddress() {
        LabProcess child = lan.spawn("child-probe", javaMain("probe"));
        try {
            assertThat(child.waitFor(STEP)).as("probe child; stderr:%n%s", child.stderr()).isZero();
            assertThat(child.stdout()).contains("PROBE").contains("PCP").contains("NAT_PMP").contains("UPNP_IGD")
                    .contains(" 198.19.61.1 ").contains("WANIPConnection:2");
        } finally {
            child.stop();
        }
    }

    /**
     * miniupnpd restarts under a PCP mapping: the renewal sees the epoch go back (RFC 6887 section 8.5), counts it,
     * and the mapping works again. The renewal is asked for over the child's control socket from the router's LAN
     * side, since the mapping may be gone while miniupnpd is down.
     */
    @Order(3)
    @Test
    void pcpRenewalAfterAMiniupnpdRestartSeesTheEpochReset() throws Exception {
        LabProcess child = lan.spawn("child-restart", javaMain("map", "PCP"));
        try {
            lab.await("PCP mapped", STEP, () -> child.stdout().contains("CONTROL"));
            Matcher m = MAPPED.matcher(child.stdout());
            assertThat(m.find()).isTrue();
            int extPort = Integer.parseInt(m.group(3));
            int control = Integer.parseInt(child.stdout().replaceAll("(?s).*CONTROL (\\d+).*", "$1"));
            restartMiniupnpd(false);
            rtr.execOk("bash", "-c", "printf renew > /dev/udp/198.18.61.2/" + control);
            lab.await("renewed after restart", STEP, () -> child.stdout().contains("RENEWED")
                    || child.stdout().contains("RENEW_FAILED"));
            assertThat(child.stdout()).contains("RENEWED 198.19.61.1 " + extPort).contains("pcp_state_lost=1");
            assertThat(natRules()).contains("dport " + extPort + " dnat ip to 198.18.61.2:");
            sendFromWan("198.19.61.1", extPort, "close"); // through the re-created mapping
            lab.await("closed", STEP, () -> child.stdout().contains("CLOSED"));
            assertThat(natRules()).doesNotContain("dport " + extPort + " ");
        } finally {
            child.stop();
        }
    }

    /** The same gateway describing itself as IGD v1 (WANIPConnection:1: no AddAnyPortMapping). */
    @Order(4)
    @Test
    void upnpIgdV1Description() throws Exception {
        restartMiniupnpd(true);
        LabProcess probe = lan.spawn("child-probe-v1", javaMain("probe"));
        assertThat(probe.waitFor(STEP)).isZero();
        assertThat(probe.stdout()).contains("WANIPConnection:1");
        LabProcess child = lan.spawn("child-v1", javaMain("map", "UPNP_IGD"));
        try {
            lab.await("UPnP v1 mapped", STEP, () -> child.stdout().contains("MAPPED")
                    || child.stdout().contains("FAILED"));
            Matcher m = MAPPED.matcher(child.stdout());
            assertThat(m.find()).as("child stdout:%n%s", child.stdout()).isTrue();
            int extPort = Integer.parseInt(m.group(3));
            assertThat(natRules()).contains("dport " + extPort + " dnat ip to 198.18.61.2:" + m.group(5));
            sendFromWan("198.19.61.1", extPort, "close");
            lab.await("closed", STEP, () -> child.stdout().contains("CLOSED"));
            assertThat(natRules()).doesNotContain("dport " + extPort + " ");
        } finally {
            child.stop();
        }
    }

    private String natRules() {
        return router.natRules();
    }

    private void sendFromWan(String ip, int port, String text) {
        wan.execOk("bash", "-c", "printf %s " + text + " > /dev/udp/" + ip + "/" + port);
    }

    private static List<String> javaMain(String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-cp");
        cmd.add(System.getProperty("surefire.test.class.path", System.getProperty("java.class.path")));
        cmd.add(PortMapNetnsMain.class.getName());
        cmd.addAll(List.of(args));
        return cmd;
    }
}
