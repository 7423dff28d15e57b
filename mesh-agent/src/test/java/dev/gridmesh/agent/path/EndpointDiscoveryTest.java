package dev.gridmesh.agent.path;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gridmesh.nat.classify.MappingBehavior;
import dev.gridmesh.nat.classify.NatReport;
import dev.gridmesh.nat.portmap.MappedEndpoint;
import dev.gridmesh.nat.portmap.PortMapProtocol;
import dev.gridmesh.nat.stun.StunClient;
import dev.gridmesh.nat.stun.StunServer;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * EndpointDiscovery fed by the real STUN server engine, with the NAT between them reduced to a function "which
 * source does server S see": one public endpoint for both servers (endpoint-independent), one per server
 * (endpoint-dependent), or no answer.
 */
class EndpointDiscoveryTest {
    static final InetSocketAddress S1 = new InetSocketAddress("198.18.0.1", 3478);
    static final InetSocketAddress S2 = new InetSocketAddress("198.18.0.11", 3478);
    static final InetSocketAddress PUBLIC = new InetSocketAddress("198.18.5.1", 40000);
    static final long MS = 1_000_000L;

    final StunServer server = new StunServer();

    /** Runs discovery to the end; {@code seenAs} maps the server to the source it sees (null: datagram lost). */
    NatReport run(EndpointDiscovery d, Function<InetSocketAddress, InetSocketAddress> seenAs) {
        long now = 1_000 * MS;
        d.start(now);
        for (int i = 0; i < 10_000 && d.running(); i++) {
            for (StunClient.Transmit t; (t = d.pollTransmit()) != null; ) {
                InetSocketAddress src = seenAs.apply(t.destination());
                if (src == null) {
                    continue;
                }
                ByteBuffer out = ByteBuffer.allocate(1500);
                if (server.handle(src, ByteBuffer.wrap(t.datagram()), out).reply()) {
                    assertThat(d.handleStun(t.destination(), ByteBuffer.wrap(Arrays.copyOf(out.array(), out.position())),
                            now)).isTrue();
                }
            }
            now += 10 * MS;
            d.handleTimeout(now);
        }
        assertThat(d.running()).isFalse();
        return d.report().orElseThrow();
    }

    @Test
    void endpointIndependentNatGivesOneReflexiveCandidateBeforeTheLocalOnes() {
        EndpointDiscovery d = new EndpointDiscovery(List.of(S1, S2), 51820, new SplittableRandom(1));
        NatReport r = run(d, s -> PUBLIC);
        assertThat(r.udp()).isTrue();
        assertThat(r.mapping()).isEqualTo(MappingBehavior.ENDPOINT_INDEPENDENT);
        List<InetSocketAddress> c = d.candidates(32);
        assertThat(c.getFirst()).isEqualTo(PUBLIC);
        assertThat(c.subList(1, c.size())).isEqualTo(d.localEndpoints());
        assertThat(d.runs()).isEqualTo(1);
    }

    @Test
    void endpointDependentNatGivesOnePortPerServerAndIsClassifiedSo() {
        EndpointDiscovery d = new EndpointDiscovery(List.of(S1, S2), 51820, new SplittableRandom(2));
        InetSocketAddress other = new InetSocketAddress(PUBLIC.getAddress(), 40001);
        NatReport r = run(d, s -> s.equals(S1) ? PUBLIC : other);
        assertThat(r.mapping()).isEqualTo(MappingBehavior.ENDPOINT_DEPENDENT);
        assertThat(d.candidates(32)).startsWith(PUBLIC, other);
    }

    @Test
    void noAnswerMeansNoUdpAndOnlyLocalCandidates() {
        EndpointDiscovery d = new EndpointDiscovery(List.of(S1, S2), 51820, new SplittableRandom(3));
        NatReport r = run(d, s -> null);
        assertThat(r.udp()).isFalse();
        assertThat(d.candidates(32)).isEqualTo(d.localEndpoints());
        assertThat(d.handleStun(S1, ByteBuffer.allocate(20), 0)).as("no run: nothing is matched").isFalse();
    }

    @Test
    void withoutServersTheReportIsImmediateAndUnknown() {
        EndpointDiscovery d = new EndpointDiscovery(List.of(), 51820, new SplittableRandom(4));
        d.start(0);
        assertThat(d.running()).isFalse();
        assertThat(d.report().orElseThrow().mapping()).isEqualTo(MappingBehavior.UNKNOWN);
        assertThat(d.pollTransmit()).isNull();
        assertThat(d.handleTimeout(1)).isFalse();
    }

    @Test
    void portMappingComesFirstThenReflexiveThenLocalDistinctAndCapped() {
        EndpointDiscovery d = new EndpointDiscovery(List.of(S1, S2), 51820, new SplittableRandom(5));
        run(d, s -> PUBLIC);
        InetSocketAddress mappedExt = new InetSocketAddress("198.18.5.1", 51820);
        d.setMapped(Optional.of(new MappedEndpoint(PortMapProtocol.PCP, mappedExt, 51820, 7200, 0)));
        assertThat(d.candidates(32)).startsWith(mappedExt, PUBLIC);
        assertThat(d.candidates(1)).containsExactly(mappedExt);
        // the same address from the mapping and STUN appears once
        d.setMapped(Optional.of(new MappedEndpoint(PortMapProtocol.PCP, PUBLIC, 51820, 7200, 0)));
        assertThat(d.candidates(32)).doesNotHaveDuplicates().startsWith(PUBLIC);
        d.setMapped(Optional.empty());
        assertThat(d.candidates(32).getFirst()).isEqualTo(PUBLIC);
    }

    @Test
    void overlayRangeIsNeverACandidate() throws Exception {
        assertThat(EndpointDiscovery.isOverlay((Inet4Address) InetAddress.getByName("100.64.0.1"))).isTrue();
        assertThat(EndpointDiscovery.isOverlay((Inet4Address) InetAddress.getByName("100.127.255.254"))).isTrue();
        assertThat(EndpointDiscovery.isOverlay((Inet4Address) InetAddress.getByName("100.63.255.255"))).isFalse();
        assertThat(EndpointDiscovery.isOverlay((Inet4Address) InetAddress.getByName("100.128.0.0"))).isFalse();
        assertThat(EndpointDiscovery.isOverlay((Inet4Address) InetAddress.getByName("198.18.0.1"))).isFalse();
        for (InetSocketAddress e : EndpointDiscovery.localEndpoints(4242)) {
            assertThat(e.getPort()).isEqualTo(4242);
            assertThat(e.getAddress()).isInstanceOf(Inet4Address.class);
            assertThat(e.getAddress().isLoopbackAddress()).isFalse();
            assertThat(EndpointDiscovery.isOverlay((Inet4Address) e.getAddress())).isFalse();
        }
    }

    @Test
    void aNewRunAbandonsTheRunningOneAndCountsRuns() {
        EndpointDiscovery d = new EndpointDiscovery(List.of(S1, S2), 51820, new SplittableRandom(6));
        d.start(0);
        assertThat(d.running()).isTrue();
        StunClient.Transmit first = d.pollTransmit();
        assertThat(first).isNotNull();
        run(d, s -> PUBLIC); // starts a second run
        assertThat(d.runs()).isEqualTo(2);
        // the first run's answer arrives late: not matched
        ByteBuffer out = ByteBuffer.allocate(1500);
        server.handle(PUBLIC, ByteBuffer.wrap(first.datagram()), out);
        assertThat(d.handleStun(first.destination(), ByteBuffer.wrap(Arrays.copyOf(out.array(), out.position())), 0))
                .isFalse();
    }
}
