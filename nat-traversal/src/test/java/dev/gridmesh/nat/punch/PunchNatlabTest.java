package dev.gridmesh.nat.punch;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gridmesh.nat.natlab.NatlabStun;
import dev.gridmesh.testsupport.FakeClock;
import dev.gridmesh.testsupport.natlab.Host;
import dev.gridmesh.testsupport.natlab.NatBox;
import dev.gridmesh.testsupport.natlab.NatConfig;
import dev.gridmesh.testsupport.natlab.Network;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Two agents, each behind a NAT kind, netcheck against the relay's STUN, exchange candidates (as the relay would
 * carry call-me-maybe), and punch at once. Asserts which cells go direct.
 *
 * <pre>
 *  a1 198.19.1.2:51820 -[NAT A 198.18.0.2]-+                          +-[NAT B 198.18.0.3]- b1 198.19.2.2:51820
 *                                          +-- internet (15 ms) ------+
 *                                              relay STUN 198.18.0.1:3478/3479
 * </pre>
 */
class PunchNatlabTest {
    enum Kind { NO_NAT, FULL_CONE, EASY, SYMMETRIC_SEQUENTIAL, SYMMETRIC_RANDOM, UDP_BLOCKED }

    static final List<String> TABLE = new ArrayList<>();

    static boolean expectDirect(Kind a, Kind b) {
        if (a == Kind.UDP_BLOCKED || b == Kind.UDP_BLOCKED) {
            return false;
        }
        if (a == Kind.NO_NAT || b == Kind.NO_NAT || a == Kind.FULL_CONE || b == Kind.FULL_CONE) {
            return true;
        }
        if (a == Kind.EASY && b == Kind.EASY) {
            return true;
        }
        // easy (port-dependent filtering) vs symmetric: only port prediction helps, and only a sequential allocator
        return (a == Kind.EASY && b == Kind.SYMMETRIC_SEQUENTIAL) || (b == Kind.EASY && a == Kind.SYMMETRIC_SEQUENTIAL);
    }

    static Stream<Arguments> matrix() {
        List<Arguments> cells = new ArrayList<>();
        for (Kind a : Kind.values()) {
            for (Kind b : Kind.values()) {
                cells.add(Arguments.of(a, b));
            }
        }
        return cells.stream();
    }

    static NatConfig config(Kind k, long seed) {
        return switch (k) {
            case FULL_CONE -> NatConfig.fullCone();
            case EASY -> NatConfig.easy();
            case SYMMETRIC_SEQUENTIAL -> NatConfig.symmetric().withPortAllocation(NatConfig.PortAllocation.SEQUENTIAL);
            case SYMMETRIC_RANDOM -> NatConfig.symmetric().withSeed(seed);
            case UDP_BLOCKED -> NatConfig.udpBlockedFirewall();
            case NO_NAT -> throw new AssertionError();
        };
    }

    static Host host(Network net, Kind k, String name, String pub, String lan, long seed) {
        if (k == Kind.NO_NAT) {
            return net.addPublicHost(name, pub);
        }
        NatBox nat = net.addNat("nat-" + name, pub, config(k, seed));
        return nat.addHost(name, lan);
    }

    record Outcome(boolean direct, Duration timeToDirect, int probesA, int probesB) {}

    static Outcome run(Network net, LabAgent a, LabAgent b, List<InetSocketAddress> stun) {
        FakeClock clock = net.clock();
        a.netcheck(stun.subList(0, 2), clock.nanos());
        b.netcheck(stun.subList(0, 2), clock.nanos());
        drive(net, List.of(a, b), () -> a.probe.isDone() && b.probe.isDone(), Duration.ofSeconds(10));
        long t0 = clock.nanos();
        // the relay carries each side's call-me-maybe; both start probing at once
        a.punch(b.key.publicKey(), b.candidates(), PunchConfig.defaults(), t0);
        b.punch(a.key.publicKey(), a.candidates(), PunchConfig.defaults(), t0);
        drive(net, List.of(a, b), () -> a.session.state() != PunchSession.State.PROBING
                && b.session.state() != PunchSession.State.PROBING, Duration.ofSeconds(15));
        drive(net, List.of(a, b), () -> false, Duration.ofMillis(200)); // let the last pongs land
        boolean direct = a.session.state() == PunchSession.State.DIRECT && b.session.state() == PunchSession.State.DIRECT;
        Duration ttd = null;
        if (direct) {
            long latest = Stream.of(a, b).mapToLong(x -> x.events.stream()
                    .filter(e -> e instanceof PunchSession.Event.PathValidated)
                    .mapToLong(e -> ((PunchSession.Event.PathValidated) e).elapsedNanos()).min().orElseThrow()).max().orElseThrow();
            ttd = Duration.ofNanos(latest);
        }
        return new Outcome(direct, ttd, a.session.probesSent(), b.session.probesSent());
    }

    static void drive(Network net, List<LabAgent> agents, BooleanSupplier done, Duration limit) {
        FakeClock clock = net.clock();
        long end = clock.nanos() + limit.toNanos();
        for (int i = 0; i < 1_000_000; i++) {
            agents.forEach(LabAgent::transmit);
            net.deliverDue();
            agents.forEach(x -> x.receive(clock.nanos()));
            agents.forEach(LabAgent::transmit);
            if (done.getAsBoolean()) {
                return;
            }
            long next = net.nextDeliveryNanos();
            for (LabAgent x : agents) {
                next = Math.min(next, x.nextTimeout());
            }
            if (next == Long.MAX_VALUE || next - end > 0) {
                clock.advanceTo(end);
                return;
            }
            clock.advanceTo(next);
            agents.forEach(x -> x.timeout(clock.nanos()));
        }
        throw new AssertionError("drive loop did not settle");
    }

    @ParameterizedTest(name = "{0} x {1}")
    @MethodSource("matrix")
    void matrixCell(Kind ka, Kind kb) {
        Network net = new Network(new FakeClock(), Duration.ofMillis(15));
        List<InetSocketAddress> stun = NatlabStun.relayStun(net, "198.18.0.1", "198.18.0.11");
        LabAgent a = new LabAgent("a", host(net, ka, "a1", "198.18.0.2", "198.19.1.2", 1).bind(51820), 100);
        LabAgent b = new LabAgent("b", host(net, kb, "b1", "198.18.0.3", "198.19.2.2", 2).bind(51820), 200);
        Outcome o = run(net, a, b, stun);
        TABLE.add(String.format(Locale.ROOT, "%-21s %-21s %-8s %9s %5d %5d", ka, kb, o.direct() ? "direct" : "relayed",
                o.timeToDirect() == null ? "-" : o.timeToDirect().toMillis() + " ms", o.probesA(), o.probesB()));
        assertThat(o.direct()).as("%s x %s", ka, kb).isEqualTo(expectDirect(ka, kb));
        assertThat(o.probesA()).isLessThanOrEqualTo(PunchConfig.defaults().probeBudget());
        if (o.direct() && ka != Kind.SYMMETRIC_SEQUENTIAL && kb != Kind.SYMMETRIC_SEQUENTIAL) {
            assertThat(o.timeToDirect()).isLessThan(Duration.ofSeconds(1));
        }
    }

    @Test
    void twoAgentsBehindOneNatFindTheLanPath() {
        Network net = new Network(new FakeClock(), Duration.ofMillis(15));
        List<InetSocketAddress> stun = NatlabStun.relayStun(net, "198.18.0.1", "198.18.0.11");
        NatBox nat = net.addNat("home", "198.18.0.2", NatConfig.easy());
        LabAgent a = new LabAgent("a", nat.addHost("a1", "198.19.1.2").bind(51820), 1);
        LabAgent b = new LabAgent("b", nat.addHost("b1", "198.19.1.3").bind(51820), 2);
        Outcome o = run(net, a, b, stun);
        assertThat(o.direct()).isTrue();
        assertThat(a.session.validatedPaths()).contains(b.socket.localAddress());
    }

    @Test
    void sameNatWithHairpinningAlsoValidatesThePublicPath() {
        Network net = new Network(new FakeClock(), Duration.ofMillis(15));
        List<InetSocketAddress> stun = NatlabStun.relayStun(net, "198.18.0.1", "198.18.0.11");
        NatBox nat = net.addNat("home", "198.18.0.2", NatConfig.fullCone().withHairpinning(true));
        LabAgent a = new LabAgent("a", nat.addHost("a1", "198.19.1.2").bind(51820), 1);
        LabAgent b = new LabAgent("b", nat.addHost("b1", "198.19.1.3").bind(51821), 2);
        Outcome o = run(net, a, b, stun);
        assertThat(o.direct()).isTrue();
        // the first pong wins and stops the rounds; the LAN path is first in the candidate list
        assertThat(a.session.validatedPaths().getFirst()).isEqualTo(b.socket.localAddress());
    }

    @AfterAll
    static void printTable() {
        System.out.println("punch matrix (virtual time, 15 ms one-way):");
        System.out.printf(Locale.ROOT, "%-21s %-21s %-8s %9s %5s %5s%n", "A", "B", "path", "to direct", "pingA", "pingB");
        TABLE.forEach(System.out::println);
    }
}
