package dev.gridmesh.nat.portmap;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class DefaultGatewayTest {
    private static final String HEADER =
            "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n";

    @Test
    void picksTheLowestMetricDefaultRoute() {
        String table = HEADER
                + "v-rtr\t00000000\t013212C6\t0003\t0\t0\t100\t00000000\t0\t0\t0\n"
                + "v-rtr\t003212C6\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n"
                + "v-b\t00000000\t010012C6\t0003\t0\t0\t10\t00000000\t0\t0\t0\n";
        assertThat(DefaultGateway.parse(table)).map(a -> a.getHostAddress()).contains("198.18.0.1");
    }

    @Test
    void noDefaultRouteOrGarbage() {
        assertThat(DefaultGateway.parse(HEADER + "v-rtr\t003212C6\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n"))
                .isEmpty();
        assertThat(DefaultGateway.parse("")).isEmpty();
        assertThat(DefaultGateway.parse(HEADER + "x\tzz\tyy\t0003\t0\t0\t0\t00000000\n")).isEmpty();
        // a default route without the gateway flag (a device route) has no gateway to ask
        assertThat(DefaultGateway.parse(HEADER + "tun0\t00000000\t00000000\t0001\t0\t0\t0\t00000000\t0\t0\t0\n"))
                .isEmpty();
    }
}
