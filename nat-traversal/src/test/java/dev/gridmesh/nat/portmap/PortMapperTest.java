package dev.gridmesh.nat.portmap;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gridmesh.testsupport.portmap.FakePortMapGateway;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@link PortMapper} against {@link FakePortMapGateway} on loopback (real sockets, ephemeral ports), renewals driven
 * by a manual scheduler: protocol order and fallback, renewal at half the lifetime, gateway restarts, deletion on
 * close, probing, bounded failure.
 */
class PortMapperTest {
    private static final InetAddress LO = InetAddress.getLoopbackAddress();
    private final ManualScheduler scheduler = new ManualScheduler();
    private final List<AutoCloseable> toClose = new ArrayList<>();
    private InetAddress external;

    /** Records scheduled tasks; the test runs them. */
    static final class ManualScheduler implements PortMapScheduler {
        record Task(Duration delay, Runnable run, boolean[] cancelled) { }

        final List<Task> tasks = new ArrayList<>();

        @Override
        public Cancellable schedule(Duration delay, Runnable task) {
            Task t = new Task(delay, task, new boolean[1]);
            tasks.add(t);
            return () -> t.cancelled()[0] = true;
        }

        Task pending() {
            List<Task> live = tasks.stream().filter(t -> !t.cancelled()[0]).toList();
            assertThat(live).as("one pending task").hasSize(1);
            return live.getFirst();
        }

        void runPending() {
            Task t = pending();
            t.cancelled()[0] = true;
            t.run().run();
        }
    }

    private FakePortMapGateway gateway(boolean pcp, boolean pmp, boolean upnp) throws Exception {
        external = InetAddress.getByName("198.19.0.1");
        FakePortMapGateway g = new FakePortMapGateway(external, pcp, pmp, upnp);
        toClose.add(g);
        return g;
    }

    private PortMapper mapper(FakePortMapGateway g) {
        PortMapperOptions o = new PortMapperOptions(Duration.ofHours(2), Duration.ofMillis(50), 3,
                Duration.ofSeconds(2), g.pcpPort(), g.ssdpPort(), false, "gridmesh-test",
                EnumSet.allOf(PortMapProtocol.class));
        PortMapper m = new PortMapper(LO, o, System::nanoTime, scheduler);
        toClose.add(m);
        return m;
    }

    private int freeUdpPort() throws Exception {
        try (DatagramSocket s = new DatagramSocket(new InetSocketAddress(LO, 0))) {
            return s.getLocalPort();
        }
    }

    @AfterEach
    void closeAll() throws Exception {
        for (AutoCloseable c : toClose.reversed()) {
            c.close();
        }
    }

    @Test
    void pcpFirstRenewsAtHalfLifetimeAndDeletesOnClose() throws Exception {
        FakePortMapGateway g = gateway(true, true, true);
        PortMapper m = mapper(g);
        List<Optional<MappedEndpoint>> changes = new ArrayList<>();
        m.onChange(changes::add);
        int port = freeUdpPort();
        Optional<MappedEndpoint> ep = m.start(port);
        assertThat(ep).isPresent();
        assertThat(ep.get().protocol()).isEqualTo(PortMapProtocol.PCP);
        assertThat(ep.get().external()).isEqualTo(new InetSocketAddress(external, port));
        assertThat(ep.get().lifetimeSeconds()).isEqualTo(7200);
        assertThat(g.mappings()).containsKey(port);
        assertThat(scheduler.pending().delay()).isEqualTo(Duration.ofHours(1));
        assertThat(changes).containsExactly(ep);

        scheduler.runPending();
        assertThat(g.requests("pcp-map")).isEqualTo(2);
        assertThat(m.mapped()).map(MappedEndpoint::external).contains(ep.get().external());
        assertThat(scheduler.pending().delay()).isEqualTo(Duration.ofHours(1));
        assertThat(changes).as("same endpoint after renewal: no change event").hasSize(1);

        m.close();
        assertThat(g.mappings()).isEmpty();
        assertThat(m.mapped()).isEmpty();
        assertThat(scheduler.tasks).allSatisfy(t -> assertThat(t.cancelled()[0]).isTrue());
        assertThat(changes).last().isEqualTo(Optional.empty());
        assertThat(m.dropCounts()).containsEntry("deleted", 1L).containsEntry("renew", 1L);
    }

    @Test
    void renewsAtHalfOfWhatTheGatewayGrants() throws Exception {
        FakePortMapGateway g = gateway(true, false, false);
        g.capLifetime(600);
        PortMapper m = mapper(g);
        assertThat(m.start(freeUdpPort()).orElseThrow().lifetimeSeconds()).isEqualTo(600);
        assertThat(scheduler.pending().delay()).isEqualTo(Duration.ofMinutes(5));
    }

    @Test
    void natPmpOnlyGatewayAnswersPcpWithVersionZero() throws Exception {
        FakePortMapGateway g = gateway(false, true, false);
        PortMapper m = mapper(g);
        int port = freeUdpPort();
        MappedEndpoint ep = m.start(port).orElseThrow();
        assertThat(ep.protocol()).isEqualTo(PortMapProtocol.NAT_PMP);
        assertThat(ep.external()).isEqualTo(new InetSocketAddress(external, port));
        assertThat(m.dropCounts()).containsEntry("pcp_notsupported", 1L);
        m.close();
        assertThat(g.mappings()).isEmpty();
    }

    @Test
    void upnpOnlyGatewayWithATakenPortGetsAnotherOne() throws Exception {
        FakePortMapGateway g = gateway(false, false, true);
        PortMapper m = mapper(g);
        int port = freeUdpPort();
        g.occupy(port);
        MappedEndpoint ep = m.start(port).orElseThrow();
        assertThat(ep.protocol()).isEqualTo(PortMapProtocol.UPNP_IGD);
        assertThat(ep.external().getAddress()).isEqualTo(external);
        assertThat(ep.external().getPort()).isNotEqualTo(port);
        assertThat(g.requests("soap-AddAnyPortMapping")).isEqualTo(1);
        assertThat(g.mappings().get(ep.external().getPort()).internalPort()).isEqualTo(port);
        scheduler.runPending();
        assertThat(m.mapped()).contains(m.mapped().orElseThrow());
        assertThat(m.mapped().orElseThrow().external()).isEqualTo(ep.external());
        m.close();
        assertThat(g.mappings()).containsOnlyKeys(port); // only the other host's mapping is left
    }

    @Test
    void gatewayRestartIsNoticedAndTheMappingRecreated() throws Exception {
        FakePortMapGateway g = gateway(true, false, false);
        g.setUptime(100_000);
        PortMapper m = mapper(g);
        int port = freeUdpPort();
        m.start(port).orElseThrow();
        g.restart();
        assertThat(g.mappings()).isEmpty();
        scheduler.runPending();
        assertThat(g.mappings()).containsKey(port);
        assertThat(m.dropCounts()).containsEntry("pcp_state_lost", 1L);
        assertThat(m.mapped()).isPresent();
    }

    @Test
    void natPmpGatewayRestartRelearnsTheAddressAndRemaps() throws Exception {
        FakePortMapGateway g = gateway(false, true, false);
        g.setUptime(100_000);
        PortMapper m = mapper(g);
        int port = freeUdpPort();
        List<Optional<MappedEndpoint>> changes = new ArrayList<>();
        m.onChange(changes::add);
        m.start(port).orElseThrow();
        g.restart();
        scheduler.runPending();
        assertThat(g.mappings()).containsKey(port);
        assertThat(m.mapped()).map(MappedEndpoint::external).contains(new InetSocketAddress(external, port));
        assertThat(m.dropCounts()).containsEntry("nat_pmp_state_lost", 1L).doesNotContainKey("map_failed_all");
        assertThat(g.requests("pmp-address")).isEqualTo(2);
        assertThat(changes).hasSize(1);
    }

    @Test
    void garbageFromTheGatewayIsCountedNotThrown() throws Exception {
        FakePortMapGateway g = gateway(true, true, false);
        g.garbageFirst(true);
        PortMapper m = mapper(g);
        assertThat(m.start(freeUdpPort())).isPresent();
        assertThat(m.dropCounts()).containsEntry("pcp_decode_too_short", 1L);
    }

    @Test
    void nothingAnswersBoundedAndRetriesLater() throws Exception {
        FakePortMapGateway g = gateway(false, false, false);
        PortMapper m = mapper(g);
        long t0 = System.nanoTime();
        assertThat(m.start(freeUdpPort())).isEmpty();
        Duration took = Duration.ofNanos(System.nanoTime() - t0);
        assertThat(took).as("PCP + NAT-PMP (350 ms each) + SSDP (2 s)").isLessThan(Duration.ofSeconds(8));
        assertThat(scheduler.pending().delay()).isEqualTo(PortMapper.RETRY_AFTER_FAILURE);
        assertThat(m.dropCounts()).containsEntry("map_failed_all", 1L).containsEntry("upnp_not_found", 1L);
        m.close(); // nothing to delete; must not hang
    }

    @Test
    void probeReportsEveryProtocolAndTheExternalAddress() throws Exception {
        FakePortMapGateway g = gateway(true, true, true);
        PortMapper m = mapper(g);
        PortMapProbe p = m.probe();
        assertThat(p.available()).as("notes %s, counters %s", p.notes(), m.dropCounts())
                .containsExactlyInAnyOrder(PortMapProtocol.values());
        assertThat(p.externalAddress()).contains(external);
        assertThat(g.mappings()).isEmpty();
        assertThat(mapper(gateway(false, true, false)).probe().available()).containsExactly(PortMapProtocol.NAT_PMP);
    }
}
