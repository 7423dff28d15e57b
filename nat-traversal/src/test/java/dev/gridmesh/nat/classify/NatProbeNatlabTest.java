package dev.gridmesh.nat.classify;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gridmesh.nat.natlab.NatlabStun;
import dev.gridmesh.nat.stun.StunClient;
import dev.gridmesh.nat.stun.StunClientConfig;
import dev.gridmesh.testsupport.FakeClock;
import dev.gridmesh.testsupport.natlab.Host;
import dev.gridmesh.testsupport.natlab.NatConfig;
import dev.gridmesh.testsupport.natlab.NatConfig.Mapping;
import dev.gridmesh.testsupport.natlab.Network;
import dev.gridmesh.testsupport.natlab.UdpSocket;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The STUN client and the classifier against the relay's STUN across every NAT kind of the in-memory network.
 *
 * <pre>
 *  host 198.19.1.2:51820 --[NAT kind under test, 198.18.0.2]-- internet -- relay 198.18.0.1:{3478,3479}, 198.18.0.11:3478
 * </pre>
 */
class NatProbeNatlabTest {

    enum Kind { NO_NAT, EASY, FULL_CONE, ADDRESS_DEPENDENT, SYMMETRIC, SYMMETRIC_SEQUENTIAL, UDP_BLOCKED_NAT, UDP_BLOCKED_HOST }

    record Expect(boolean udp, MappingBehavior viaPorts, MappingBehavior viaAddresses) {}

    static Stream<Arguments> kinds() {
        return Stream.of(
                Arguments.of(Kind.NO_NAT, new Expect(true, MappingBehavior.NO_NAT, MappingBehavior.NO_NAT)),
                Arguments.of(Kind.EASY, new Expect(true, MappingBehavior.ENDPOINT_INDEPENDENT, MappingBehavior.ENDPOINT_INDEPENDENT)),
                Arguments.of(Kind.FULL_CONE, new Expect(true, MappingBehavior.ENDPOINT_INDEPENDENT, MappingBehavior.ENDPOINT_INDEPENDENT)),
                // address-dependent mapping looks independent when the two servers share an address
                Arguments.of(Kind.ADDRESS_DEPENDENT, new Expect(true, MappingBehavior.ENDPOINT_INDEPENDENT, MappingBehavior.ENDPOINT_DEPENDENT)),
                Arguments.of(Kind.SYMMETRIC, new Expect(true, MappingBehavior.ENDPOINT_DEPENDENT, MappingBehavior.ENDPOINT_DEPENDENT)),
                Arguments.of(Kind.SYMMETRIC_SEQUENTIAL, new Expect(true, MappingBehavior.ENDPOINT_DEPENDENT, MappingBehavior.ENDPOINT_DEPENDENT)),
                Arguments.of(Kind.UDP_BLOCKED_NAT, new Expect(false, MappingBehavior.UNKNOWN, MappingBehavior.UNKNOWN)),
                Arguments.of(Kind.UDP_BLOCKED_HOST, new Expect(false, MappingBehavior.UNKNOWN, MappingBehavior.UNKNOWN)));
    }

    record Setup(Network net, UdpSocket socket, List<InetSocketAddress> stun) {}

    static Setup setup(Kind kind) {
        FakeClock clock = new FakeClock();
        Network net = new Network(clock, Duration.ofMillis(15));
        List<InetSocketAddress> stun = NatlabStun.relayStun(net, "198.18.0.1", "198.18.0.11");
        Host host = switch (kind) {
            case NO_NAT -> net.addPublicHost("a1", "198.18.0.2");
            case UDP_BLOCKED_HOST -> {
                Host h = net.addPublicHost("a1", "198.18.0.2");
                h.setUdpBlocked(true);
                yield h;
            }
            default -> net.addNat("a", "198.18.0.2", switch (kind) {
                case EASY -> NatConfig.easy();
                case FULL_CONE -> NatConfig.fullCone();
                case ADDRESS_DEPENDENT -> NatConfig.easy().withMapping(Mapping.ADDRESS_DEPENDENT);
                case SYMMETRIC -> NatConfig.symmetric();
                case SYMMETRIC_SEQUENTIAL -> NatConfig.symmetric().withPortAllocation(NatConfig.PortAllocation.SEQUENTIAL);
                case UDP_BLOCKED_NAT -> NatConfig.udpBlockedFirewall();
                default -> throw new AssertionError(kind);
            }).addHost("a1", "198.19.1.2");
        };
        return new Setup(net, host.bind(51820), stun);
    }

    static NatReport run(Setup s, List<InetSocketAddress> servers) {
        NatProbe probe = new NatProbe(new StunClient(StunClientConfig.interactive(), new SplittableRandom(3)), servers,
                Set.of(s.socket().localAddress()));
        probe.start(s.net().clock().nanos());
        NatlabStun.drive(s.net(), s.socket(), probe::pollTransmit, probe::handleDatagram, probe::pollTimeout,
                probe::handleTimeout, probe::isDone, Duration.ofSeconds(10));
        assertThat(probe.isDone()).isTrue();
        return probe.report();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("kinds")
    void twoPortsOfOneAddress(Kind kind, Expect expect) {
        Setup s = setup(kind);
        long t0 = s.net().clock().nanos();
        NatReport r = run(s, s.stun().subList(0, 2));
        assertThat(r.udp()).isEqualTo(expect.udp());
        assertThat(r.mapping()).isEqualTo(expect.viaPorts());
        assertThat(r.acrossAddresses()).isFalse();
        if (expect.udp()) {
            assertThat(r.bestRtt()).contains(Duration.ofMillis(30));
            assertThat(s.net().clock().since(t0)).isEqualTo(Duration.ofMillis(30));
            assertThat(r.publicEndpoints()).allSatisfy(e -> assertThat(e.getAddress().getHostAddress()).isEqualTo("198.18.0.2"));
        } else {
            // the interactive budget: 3 requests at 0, 0.5, 1.5 s and 2 RTO more
            assertThat(s.net().clock().since(t0)).isEqualTo(StunClientConfig.interactive().timeout());
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("kinds")
    void twoAddresses(Kind kind, Expect expect) {
        Setup s = setup(kind);
        NatReport r = run(s, List.of(s.stun().get(0), s.stun().get(2)));
        assertThat(r.udp()).isEqualTo(expect.udp());
        assertThat(r.mapping()).isEqualTo(expect.viaAddresses());
        assertThat(r.acrossAddresses()).isEqualTo(expect.udp());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("kinds")
    void oneServerFollowsOtherAddress(Kind kind, Expect expect) {
        Setup s = setup(kind);
        NatReport r = run(s, List.of(s.stun().get(0)));
        assertThat(r.udp()).isEqualTo(expect.udp());
        assertThat(r.mapping()).isEqualTo(expect.viaPorts());
        assertThat(r.observations()).hasSize(expect.udp() ? 2 : 1);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("kinds")
    void survivesLossOfTheFirstRequests(Kind kind, Expect expect) {
        Setup s = setup(kind);
        int[] dropped = {0};
        s.net().setLossFilter(d -> d.destination().getPort() == 3479 && dropped[0]++ < 2);
        NatReport r = run(s, s.stun().subList(0, 2));
        assertThat(r.mapping()).isEqualTo(expect.viaPorts());
        if (expect.udp()) {
            assertThat(r.observations()).allSatisfy(o -> assertThat(o.answered()).isTrue());
        }
    }
}
