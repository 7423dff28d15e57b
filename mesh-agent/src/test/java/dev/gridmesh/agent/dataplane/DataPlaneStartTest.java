package dev.gridmesh.agent.dataplane;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gridmesh.agent.route.RecordingRunner;
import dev.gridmesh.agent.tun.FakeTun;
import dev.gridmesh.agent.tun.TunException;
import dev.gridmesh.crypto.NodePrivateKey;
import dev.gridmesh.crypto.PresharedKey;
import dev.gridmesh.protocol.net.IpPrefix;
import dev.gridmesh.protocol.wg.WgPeerConfig;
import java.net.InetAddress;
import java.util.List;
import org.junit.jupiter.api.Test;

class DataPlaneStartTest {
    private final NodePrivateKey key = NodePrivateKey.generate();
    private final WgPeerConfig peer = new WgPeerConfig(NodePrivateKey.generate().publicKey(), PresharedKey.NONE,
            List.of(IpPrefix.parse("100.64.0.2/32"), IpPrefix.parse("100.64.9.0/24")), null, 25);

    private DataPlaneConfig config() {
        return new DataPlaneConfig("wgt0", key, List.of(IpPrefix.parse("100.64.0.1/24")), 0, 0, List.of(peer), null);
    }

    private static DataPlaneOptions options(FakeTun tun, RecordingRunner runner) {
        return new DataPlaneOptions(n -> tun, runner, InetAddress.getLoopbackAddress(), true, true, true);
    }

    @Test
    void configuresTheInterfaceAndRemovesItOnClose() throws Exception {
        FakeTun tun = new FakeTun("wgt0");
        RecordingRunner runner = new RecordingRunner();
        DataPlane dp = DataPlane.start(config(), options(tun, runner));
        assertThat(dp.config().mtu()).isEqualTo(DataPlaneConfig.DEFAULT_MTU);
        DataPlaneStatus s = dp.status();
        assertThat(s.interfaceName()).isEqualTo("wgt0");
        assertThat(s.listenPort()).isPositive();
        assertThat(s.peers()).singleElement().satisfies(p -> {
            assertThat(p.persistentKeepaliveSeconds()).isEqualTo(25);
            assertThat(p.lastHandshakeEpochMillis()).isZero();
        });
        dp.close();
        assertThat(tun.isClosed()).isTrue();
        assertThat(runner.commands()).containsExactly(
                "ip -4 address add 100.64.0.1/24 dev wgt0",
                "ip link set dev wgt0 mtu 1420 up",
                "ip -4 route replace 100.64.0.2/32 dev wgt0",
                "ip -4 route replace 100.64.9.0/24 dev wgt0",
                "ip link delete dev wgt0");
    }

    @Test
    void showAndStatsOverTheLocalApi(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        FakeTun tun = new FakeTun("wgt0");
        try (DataPlane dp = DataPlane.start(config(), options(tun, null));
                var api = dev.gridmesh.agent.localapi.LocalApiServer.start(dir.resolve("wgt0.sock"),
                        DataPlaneLocalApi.handlers(dp))) {
            var client = new dev.gridmesh.agent.localapi.LocalApiClient(api.path());
            var show = client.show();
            assertThat(show.iface().name()).isEqualTo("wgt0");
            assertThat(show.iface().publicKey()).isEqualTo(key.publicKey().toBase64());
            assertThat(show.iface().listenPort()).isEqualTo(dp.listenPort());
            assertThat(show.iface().addresses()).containsExactly("100.64.0.1/24");
            assertThat(show.iface().mtu()).isEqualTo(1420);
            assertThat(show.peers()).singleElement().satisfies(p -> {
                assertThat(p.publicKey()).isEqualTo(peer.publicKey().toBase64());
                assertThat(p.endpoint()).isNull();
                assertThat(p.allowedIps()).containsExactlyInAnyOrder("100.64.0.2/32", "100.64.9.0/24");
                assertThat(p.latestHandshakeEpochMillis()).isZero();
                assertThat(p.persistentKeepaliveSeconds()).isEqualTo(25);
                assertThat(p.presharedKey()).isFalse();
            });
            var stats = client.call("stats", null);
            assertThat(stats.path("transport").asText()).isEqualTo("epoll");
            assertThat(stats.path("drops").isObject()).isTrue();
        }
    }

    @Test
    void endpointText() {
        assertThat(DataPlaneLocalApi.endpoint(new java.net.InetSocketAddress("198.18.0.2", 51820)))
                .isEqualTo("198.18.0.2:51820");
        assertThat(DataPlaneLocalApi.endpoint(new java.net.InetSocketAddress("2001:db8::1", 51820)))
                .isEqualTo("[2001:db8::1]:51820");
        assertThat(DataPlaneLocalApi.endpoint(null)).isNull();
        java.util.function.Function<String, String> v6 = t -> {
            try {
                return DataPlaneLocalApi.address(java.net.InetAddress.getByName(t));
            } catch (java.net.UnknownHostException e) {
                throw new AssertionError(e);
            }
        };
        assertThat(v6.apply("::")).isEqualTo("::");
        assertThat(v6.apply("::1")).isEqualTo("::1");
        assertThat(v6.apply("fd7a:115c:a1e0:0:0:0:0:0")).isEqualTo("fd7a:115c:a1e0::");
        assertThat(v6.apply("2001:db8:0:1:0:0:0:1")).isEqualTo("2001:db8:0:1::1");
        assertThat(v6.apply("2001:0:0:1:0:0:0:1")).isEqualTo("2001:0:0:1::1"); // the longer run wins
        assertThat(v6.apply("2001:db8:0:0:1:0:0:1")).isEqualTo("2001:db8::1:0:0:1"); // first of equal runs
        assertThat(v6.apply("2001:db8:1:2:3:4:0:5")).isEqualTo("2001:db8:1:2:3:4:0:5"); // one zero group stays
        assertThat(v6.apply("FE80:0:0:0:0:0:0:ABCD")).isEqualTo("fe80::abcd");
        assertThat(DataPlaneLocalApi.prefix(IpPrefix.parse("fd7a:115c:a1e0::5/48"))).isEqualTo("fd7a:115c:a1e0::/48");
        assertThat(DataPlaneLocalApi.prefix(IpPrefix.parse("100.64.3.7/24"))).isEqualTo("100.64.3.0/24");
    }

    @Test
    void runtimePeerChangesAddAndRemoveRoutes() throws Exception {
        FakeTun tun = new FakeTun("wgt0");
        RecordingRunner runner = new RecordingRunner();
        try (DataPlane dp = DataPlane.start(config(), options(tun, runner))) {
            WgPeerConfig other = new WgPeerConfig(NodePrivateKey.generate().publicKey(), PresharedKey.NONE,
                    List.of(IpPrefix.parse("100.64.0.3/32"), IpPrefix.parse("100.64.9.0/24")), null, 0);
            dp.upsertPeer(other);
            assertThat(dp.removePeer(peer.publicKey())).isTrue();
            assertThat(runner.commands()).endsWith(
                    "ip -4 route replace 100.64.0.3/32 dev wgt0",
                    "ip -4 route replace 100.64.9.0/24 dev wgt0",
                    "ip -4 route del 100.64.0.2/32 dev wgt0"); // 100.64.9.0/24 stays: the other peer claims it
            assertThat(dp.status().peers()).singleElement()
                    .satisfies(p -> assertThat(p.publicKey()).isEqualTo(other.publicKey()));
        }
    }

    @Test
    void failedAddressCleansUpAndSaysWhy() {
        FakeTun tun = new FakeTun("wgt0");
        RecordingRunner runner = new RecordingRunner().failing(c -> c.contains("address add"),
                "RTNETLINK answers: Permission denied");
        assertThatThrownBy(() -> DataPlane.start(config(), options(tun, runner)))
                .isInstanceOf(DataPlaneException.class)
                .hasMessage("wgt0: adding address 100.64.0.1/24: `ip -4 address add 100.64.0.1/24 dev wgt0` failed"
                        + " (exit 2): RTNETLINK answers: Permission denied");
        assertThat(tun.isClosed()).isTrue();
        assertThat(runner.commands()).last().isEqualTo("ip link delete dev wgt0");
    }

    @Test
    void tunFailureBecomesDataPlaneException() {
        assertThatThrownBy(() -> DataPlane.start(config(), new DataPlaneOptions(n -> {
            throw new TunException("creating TUN " + n + " needs CAP_NET_ADMIN (run as root or grant the capability)");
        }, null, null, true, true, true))).isInstanceOf(DataPlaneException.class)
                .hasMessage("creating TUN wgt0 needs CAP_NET_ADMIN (run as root or grant the capability)");
    }

    @Test
    void portInUseIsExplained() throws Exception {
        try (var taken = new java.net.DatagramSocket(0, InetAddress.getLoopbackAddress())) {
            DataPlaneConfig c = new DataPlaneConfig("wgt0", key, List.of(), taken.getLocalPort(), 0, List.of(), null);
            FakeTun tun = new FakeTun("wgt0");
            assertThatThrownBy(() -> DataPlane.start(c, options(tun, null))).isInstanceOf(DataPlaneException.class)
                    .hasMessageStartingWith("wgt0: cannot bind UDP port " + taken.getLocalPort() + ": ");
            assertThat(tun.isClosed()).isTrue();
        }
    }

    @Test
    void configValidation() {
        assertThatThrownBy(() -> new DataPlaneConfig("wg0", key, List.of(), 70000, 0, List.of(), null))
                .hasMessage("listenPort: 70000 (expected: 0..65535)");
        assertThatThrownBy(() -> new DataPlaneConfig("wg0", key, List.of(), 0, 100, List.of(), null))
                .hasMessage("mtu: 100 (expected: 576..65455)");
        assertThatThrownBy(() -> new DataPlaneConfig("wg0", key, List.of(), 0, 0, List.of(peer, peer), null))
                .hasMessageContaining("is listed twice");
    }
}
