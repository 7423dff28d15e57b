package dev.gridmesh.testsupport.natlab;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gridmesh.testsupport.FakeClock;
import dev.gridmesh.testsupport.natlab.NatConfig.Filtering;
import dev.gridmesh.testsupport.natlab.NatConfig.Mapping;
import dev.gridmesh.testsupport.natlab.NatConfig.PortAllocation;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class NetworkTest {
    final FakeClock clock = new FakeClock();
    final Network net = new Network(clock, Duration.ofMillis(10));
    final Host server = net.addPublicHost("server", "198.18.0.1", "198.18.0.11");
    final UdpSocket s1 = server.bind(3478);
    final UdpSocket s2 = server.bind(3479);
    final UdpSocket s3 = server.bind(server.addresses().get(1), 3478);

    static byte[] b(String s) {
        return s.getBytes();
    }

    /** Sends from {@code from} to each target and returns the source address each target saw. */
    List<InetSocketAddress> seenBy(UdpSocket from, UdpSocket... targets) {
        List<InetSocketAddress> seen = new ArrayList<>();
        for (UdpSocket t : targets) {
            from.send(t.localAddress(), b("hi"));
            net.runUntilIdle(Duration.ofSeconds(1));
            Datagram d = t.receive();
            assertThat(d).as("datagram at %s", t).isNotNull();
            seen.add(d.source());
        }
        return seen;
    }

    @Test
    void publicHostsTalkDirectlyWithLatency() {
        Host h = net.addPublicHost("h", "198.18.0.5");
        UdpSocket c = h.bind(0);
        long t0 = clock.nanos();
        c.send(s1.localAddress(), b("x"));
        assertThat(net.deliverDue()).isZero();
        assertThat(net.nextDeliveryNanos()).isEqualTo(t0 + 10_000_000L);
        clock.advanceMillis(10);
        assertThat(net.deliverDue()).isEqualTo(1);
        Datagram d = s1.receive();
        assertThat(d.source()).isEqualTo(c.localAddress());
        assertThat(new String(d.payload())).isEqualTo("x");
    }

    @Test
    void endpointIndependentMappingKeepsOnePortForEveryDestination() {
        NatBox nat = net.addNat("a", "198.18.0.2", NatConfig.easy());
        UdpSocket c = nat.addHost("a1", "198.19.1.2").bind(51820);
        List<InetSocketAddress> seen = seenBy(c, s1, s2, s3);
        assertThat(seen).containsOnly(new InetSocketAddress("198.18.0.2", 51820)); // port preserved
        assertThat(nat.mappings()).hasSize(1);
    }

    @Test
    void addressAndPortDependentMappingGivesEachDestinationItsOwnPort() {
        NatBox nat = net.addNat("a", "198.18.0.2", NatConfig.symmetric());
        UdpSocket c = nat.addHost("a1", "198.19.1.2").bind(51820);
        List<InetSocketAddress> seen = seenBy(c, s1, s2, s3);
        assertThat(seen).doesNotHaveDuplicates();
        assertThat(seen).allSatisfy(a -> assertThat(a.getAddress()).isEqualTo(nat.publicAddress()));
        assertThat(nat.mappings()).hasSize(3);
    }

    @Test
    void addressDependentMappingSharesAPortPerAddress() {
        NatBox nat = net.addNat("a", "198.18.0.2", NatConfig.easy().withMapping(Mapping.ADDRESS_DEPENDENT));
        UdpSocket c = nat.addHost("a1", "198.19.1.2").bind(51820);
        List<InetSocketAddress> seen = seenBy(c, s1, s2, s3);
        assertThat(seen.get(0)).isEqualTo(seen.get(1));
        assertThat(seen.get(2)).isNotEqualTo(seen.get(0));
    }

    @Test
    void sequentialAllocationIsPredictable() {
        NatBox nat = net.addNat("a", "198.18.0.2", NatConfig.symmetric().withPortAllocation(PortAllocation.SEQUENTIAL));
        UdpSocket c = nat.addHost("a1", "198.19.1.2").bind(51820);
        List<InetSocketAddress> seen = seenBy(c, s1, s2, s3);
        assertThat(seen).extracting(InetSocketAddress::getPort).containsExactly(20000, 20001, 20002);
    }

    @Test
    void randomAllocationIsDeterministicPerSeed() {
        List<Integer> first = randomPorts(7);
        assertThat(randomPorts(7)).isEqualTo(first);
        assertThat(randomPorts(8)).isNotEqualTo(first);
    }

    private static List<Integer> randomPorts(long seed) {
        FakeClock c = new FakeClock();
        Network n = new Network(c);
        Host srv = n.addPublicHost("s", "198.18.0.1");
        UdpSocket a = srv.bind(1);
        UdpSocket b = srv.bind(2);
        NatBox nat = n.addNat("a", "198.18.0.2", NatConfig.symmetric().withSeed(seed));
        UdpSocket cl = nat.addHost("a1", "198.19.1.2").bind(5);
        cl.send(a.localAddress(), b("1"));
        cl.send(b.localAddress(), b("2"));
        n.runUntilIdle(Duration.ofSeconds(1));
        return List.of(a.receive().source().getPort(), b.receive().source().getPort());
    }

    @Test
    void filteringBehaviours() {
        for (Filtering f : Filtering.values()) {
            FakeClock c = new FakeClock();
            Network n = new Network(c);
            Host srv = n.addPublicHost("s", "198.18.0.1", "198.18.0.11");
            UdpSocket p1 = srv.bind(3478);
            UdpSocket p2 = srv.bind(3479);
            UdpSocket other = srv.bind(srv.addresses().get(1), 3478);
            NatBox nat = n.addNat("a", "198.18.0.2", NatConfig.easy().withFiltering(f));
            UdpSocket cl = nat.addHost("a1", "198.19.1.2").bind(4000);
            InetSocketAddress pub = new InetSocketAddress("198.18.0.2", 4000);
            // unsolicited before any mapping: always dropped
            p1.send(pub, b("early"));
            n.runUntilIdle(Duration.ofSeconds(1));
            assertThat(cl.receive()).isNull();
            assertThat(n.drops(DropReason.NAT_NO_MAPPING)).isEqualTo(1);
            cl.send(p1.localAddress(), b("open"));
            n.runUntilIdle(Duration.ofSeconds(1));
            p1.send(pub, b("same"));
            p2.send(pub, b("same address, other port"));
            other.send(pub, b("other address"));
            n.runUntilIdle(Duration.ofSeconds(1));
            List<String> got = new ArrayList<>();
            for (Datagram d; (d = cl.receive()) != null; ) {
                got.add(new String(d.payload()));
            }
            switch (f) {
                case ENDPOINT_INDEPENDENT -> assertThat(got).containsExactly("same", "same address, other port", "other address");
                case ADDRESS_DEPENDENT -> assertThat(got).containsExactly("same", "same address, other port");
                case ADDRESS_AND_PORT_DEPENDENT -> assertThat(got).containsExactly("same");
            }
        }
    }

    @Test
    void mappingsExpireWhenIdleAndOutboundRefreshes() {
        NatBox nat = net.addNat("a", "198.18.0.2",
                NatConfig.easy().withMappingTimeout(Duration.ofSeconds(30)).withPortAllocation(PortAllocation.SEQUENTIAL));
        UdpSocket c = nat.addHost("a1", "198.19.1.2").bind(4000);
        InetSocketAddress first = seenBy(c, s1).getFirst();
        clock.advance(Duration.ofSeconds(20));
        assertThat(seenBy(c, s1).getFirst()).isEqualTo(first); // refreshed at 20 s
        clock.advance(Duration.ofSeconds(29));
        s1.send(first, b("still there"));
        net.runUntilIdle(Duration.ofSeconds(1));
        assertThat(c.receive()).isNotNull();
        clock.advance(Duration.ofSeconds(31));
        s1.send(first, b("gone"));
        net.runUntilIdle(Duration.ofSeconds(1));
        assertThat(c.receive()).isNull();
        assertThat(net.drops(DropReason.NAT_NO_MAPPING)).isEqualTo(1);
        assertThat(seenBy(c, s1).getFirst()).isNotEqualTo(first); // a new mapping, a new port
    }

    @Test
    void inboundRefreshesOnlyWhenConfigured() {
        for (boolean refresh : new boolean[] {false, true}) {
            FakeClock c = new FakeClock();
            Network n = new Network(c);
            UdpSocket srv = n.addPublicHost("s", "198.18.0.1").bind(9);
            NatBox nat = n.addNat("a", "198.18.0.2",
                    NatConfig.fullCone().withMappingTimeout(Duration.ofSeconds(30)).withRefreshOnInbound(refresh));
            UdpSocket cl = nat.addHost("a1", "198.19.1.2").bind(4000);
            cl.send(srv.localAddress(), b("open"));
            n.runUntilIdle(Duration.ofSeconds(1));
            InetSocketAddress pub = srv.receive().source();
            for (int i = 0; i < 3; i++) {
                c.advance(Duration.ofSeconds(20));
                srv.send(pub, b("keep"));
                n.runUntilIdle(Duration.ofSeconds(1));
            }
            assertThat(cl.pending()).isEqualTo(refresh ? 3 : 1);
        }
    }

    @Test
    void flushForgetsMappings() {
        NatBox nat = net.addNat("a", "198.18.0.2", NatConfig.symmetric().withPortAllocation(PortAllocation.SEQUENTIAL));
        UdpSocket c = nat.addHost("a1", "198.19.1.2").bind(4000);
        InetSocketAddress before = seenBy(c, s1).getFirst();
        nat.flush();
        assertThat(nat.mappings()).isEmpty();
        s1.send(before, b("after flush"));
        net.runUntilIdle(Duration.ofSeconds(1));
        assertThat(c.receive()).isNull();
        assertThat(seenBy(c, s1).getFirst()).isNotEqualTo(before);
        assertThat(nat.mappingsCreated()).isEqualTo(2);
    }

    @Test
    void hairpinningOnAndOff() {
        for (boolean hairpin : new boolean[] {false, true}) {
            FakeClock c = new FakeClock();
            Network n = new Network(c);
            UdpSocket srv = n.addPublicHost("s", "198.18.0.1").bind(9);
            NatBox nat = n.addNat("a", "198.18.0.2", NatConfig.fullCone().withHairpinning(hairpin));
            UdpSocket x = nat.addHost("x", "198.19.1.2").bind(4000);
            UdpSocket y = nat.addHost("y", "198.19.1.3").bind(4000);
            x.send(srv.localAddress(), b("map x"));
            y.send(srv.localAddress(), b("map y"));
            n.runUntilIdle(Duration.ofSeconds(1));
            InetSocketAddress xPub = srv.receive().source();
            InetSocketAddress yPub = srv.receive().source();
            y.send(xPub, b("via public"));
            n.runUntilIdle(Duration.ofSeconds(1));
            Datagram d = x.receive();
            if (hairpin) {
                assertThat(d.source()).isEqualTo(yPub);
            } else {
                assertThat(d).isNull();
                assertThat(n.drops(DropReason.HAIRPIN_DISABLED)).isEqualTo(1);
            }
            // the inside path always works
            y.send(x.localAddress(), b("lan"));
            n.runUntilIdle(Duration.ofSeconds(1));
            assertThat(x.receive().source()).isEqualTo(y.localAddress());
        }
    }

    @Test
    void udpBlockedNatAndHost() {
        NatBox nat = net.addNat("fw", "198.18.0.2", NatConfig.udpBlockedFirewall());
        UdpSocket c = nat.addHost("a1", "198.19.1.2").bind(4000);
        c.send(s1.localAddress(), b("x"));
        Host h = net.addPublicHost("h", "198.18.0.5");
        h.setUdpBlocked(true);
        h.bind(1).send(s1.localAddress(), b("y"));
        net.runUntilIdle(Duration.ofSeconds(1));
        assertThat(s1.receive()).isNull();
        assertThat(net.drops(DropReason.UDP_BLOCKED)).isEqualTo(2);
    }

    @Test
    void twoSymmetricNatsCannotMeetButFullConesCan() {
        for (NatConfig cfg : List.of(NatConfig.symmetric(), NatConfig.easy())) {
            FakeClock c = new FakeClock();
            Network n = new Network(c);
            UdpSocket stun = n.addPublicHost("s", "198.18.0.1").bind(3478);
            UdpSocket a = n.addNat("a", "198.18.0.2", cfg).addHost("a1", "198.19.1.2").bind(4000);
            UdpSocket b = n.addNat("b", "198.18.0.3", cfg.withSeed(99)).addHost("b1", "198.19.2.2").bind(4000);
            a.send(stun.localAddress(), b("?"));
            b.send(stun.localAddress(), b("?"));
            n.runUntilIdle(Duration.ofSeconds(1));
            InetSocketAddress aPub = stun.receive().source();
            InetSocketAddress bPub = stun.receive().source();
            // simultaneous open to the STUN-observed endpoints
            a.send(bPub, b("a->b"));
            b.send(aPub, b("b->a"));
            n.runUntilIdle(Duration.ofSeconds(1));
            a.send(bPub, b("a->b 2"));
            b.send(aPub, b("b->a 2"));
            n.runUntilIdle(Duration.ofSeconds(1));
            boolean direct = a.pending() > 0 && b.pending() > 0;
            assertThat(direct).as("%s", cfg.mapping()).isEqualTo(cfg.mapping() == Mapping.ENDPOINT_INDEPENDENT);
        }
    }

    @Test
    void noRouteNoSocketAndQueueLimit() {
        Host h = net.addPublicHost("h", "198.18.0.5");
        UdpSocket c = h.bind(0);
        c.send(new InetSocketAddress("198.18.99.99", 1), b("x"));
        c.send(new InetSocketAddress("198.18.0.1", 1), b("x"));
        net.runUntilIdle(Duration.ofSeconds(1));
        assertThat(net.drops()).containsEntry(DropReason.NO_ROUTE, 1L).containsEntry(DropReason.NO_SOCKET, 1L);
        for (int i = 0; i < UdpSocket.QUEUE_LIMIT + 5; i++) {
            c.send(s1.localAddress(), b("x"));
        }
        net.runUntilIdle(Duration.ofSeconds(1));
        assertThat(s1.pending()).isEqualTo(UdpSocket.QUEUE_LIMIT);
        assertThat(net.drops(DropReason.RECEIVE_QUEUE_FULL)).isEqualTo(5);
    }

    @Test
    void lossFilterAndHandlers() {
        Host h = net.addPublicHost("h", "198.18.0.5");
        UdpSocket c = h.bind(0);
        List<Datagram> got = new ArrayList<>();
        s1.onReceive(got::add);
        net.setLossFilter(d -> new String(d.payload()).equals("lose"));
        c.send(s1.localAddress(), b("lose"));
        c.send(s1.localAddress(), b("keep"));
        net.runUntilIdle(Duration.ofSeconds(1));
        assertThat(got).extracting(d -> new String(d.payload())).containsExactly("keep");
        assertThat(net.drops(DropReason.LOSS)).isEqualTo(1);
    }

    @Test
    void fakeClockOnlyMovesForward() {
        long t = clock.nanos();
        assertThat(clock.advanceTo(t - 5)).isEqualTo(t);
        assertThat(clock.advance(Duration.ofMillis(3))).isEqualTo(t + 3_000_000);
        assertThat(clock.since(t)).isEqualTo(Duration.ofMillis(3));
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> clock.advanceNanos(-1))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
