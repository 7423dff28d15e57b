package dev.gridmesh.agent.route;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gridmesh.protocol.net.IpPrefix;
import java.util.List;
import org.junit.jupiter.api.Test;

class InterfaceConfiguratorTest {
    private static List<IpPrefix> p(String... s) {
        return java.util.Arrays.stream(s).map(IpPrefix::parse).toList();
    }

    @Test
    void upRunsAddressesThenLinkThenRoutesLongestFirst() throws Exception {
        RecordingRunner r = new RecordingRunner();
        List<IpPrefix> installed = new InterfaceConfigurator(r).up("wg0", p("100.64.0.1/10", "fd7a:115c::1/48"),
                1420, p("100.64.0.0/10", "100.64.5.0/24", "100.64.0.2/32", "fd7a:115c:1::/64", "100.64.0.2/32"));
        assertThat(r.commands()).containsExactly(
                "ip -4 address add 100.64.0.1/10 dev wg0",
                "ip -6 address add fd7a:115c:0:0:0:0:0:1/48 dev wg0",
                "ip link set dev wg0 mtu 1420 up",
                "ip -4 route replace 100.64.0.2/32 dev wg0",
                "ip -4 route replace 100.64.5.0/24 dev wg0",
                "ip -6 route replace fd7a:115c:1:0:0:0:0:0/64 dev wg0");
        assertThat(installed).hasSize(3); // the address's own /10 is the kernel's, the duplicate /32 collapses
    }

    @Test
    void defaultRoutesAreSkipped() throws Exception {
        RecordingRunner r = new RecordingRunner();
        new InterfaceConfigurator(r).up("wg1", p("100.64.0.1/32"), 1280, p("0.0.0.0/0", "::/0", "100.64.9.9/32"));
        assertThat(r.commands()).containsExactly("ip -4 address add 100.64.0.1/32 dev wg1",
                "ip link set dev wg1 mtu 1280 up", "ip -4 route replace 100.64.9.9/32 dev wg1");
    }

    @Test
    void failureNamesInterfaceStepAndStderr() {
        RecordingRunner r = new RecordingRunner().failing(c -> c.contains("address add"),
                "RTNETLINK answers: Operation not permitted\n");
        assertThatThrownBy(() -> new InterfaceConfigurator(r).up("wg0", p("100.64.0.1/10"), 1420, List.of()))
                .isInstanceOf(NetConfigException.class)
                .hasMessage("wg0: adding address 100.64.0.1/10: `ip -4 address add 100.64.0.1/10 dev wg0` failed"
                        + " (exit 2): RTNETLINK answers: Operation not permitted");
    }

    @Test
    void badMtuIsRefusedBeforeAnyCommand() {
        RecordingRunner r = new RecordingRunner();
        assertThatThrownBy(() -> new InterfaceConfigurator(r).up("wg0", List.of(), 70000, List.of()))
                .hasMessage("mtu: 70000 (expected: 576..65535)");
        assertThat(r.commands()).isEmpty();
    }

    @Test
    void deleteToleratesMissingLink() throws Exception {
        RecordingRunner r = new RecordingRunner().failing(c -> true, "Cannot find device \"wg0\"\n");
        new InterfaceConfigurator(r).delete("wg0");
        assertThat(r.commands()).containsExactly("ip link delete dev wg0");
    }

    @Test
    void routeAddAndRemove() throws Exception {
        RecordingRunner r = new RecordingRunner();
        InterfaceConfigurator c = new InterfaceConfigurator(r);
        c.addRoute("wg0", IpPrefix.parse("100.64.3.0/24"));
        c.removeRoute("wg0", IpPrefix.parse("100.64.3.0/24"));
        assertThat(r.commands()).containsExactly("ip -4 route replace 100.64.3.0/24 dev wg0",
                "ip -4 route del 100.64.3.0/24 dev wg0");
    }
}
