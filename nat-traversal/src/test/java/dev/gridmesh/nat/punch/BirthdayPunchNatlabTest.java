package dev.gridmesh.nat.punch;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gridmesh.nat.classify.MappingBehavior;
import dev.gridmesh.nat.natlab.NatlabStun;
import dev.gridmesh.testsupport.FakeClock;
import dev.gridmesh.testsupport.natlab.NatBox;
import dev.gridmesh.testsupport.natlab.NatConfig;
import dev.gridmesh.testsupport.natlab.Network;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Birthday punching on the in-memory network: an easy NAT (endpoint-independent mapping, address-and-port-dependent
 * filtering, what the lab's home router is) against a symmetric one with random ports (MASQUERADE --random-fully).
 *
 * <pre>
 *  easy e1 198.19.1.2:51820 -[NAT easy 198.18.0.2]-+                    +-[NAT hard 198.18.0.3 random]- hard h1 198.19.2.2
 *                                                  +-- internet 15 ms --+      51820 + 256 extra sockets
 *                                                    relay STUN 198.18.0.1:3478/3479, 198.18.0.11:3478
 * </pre>
 */
class BirthdayPunchNatlabTest {

    record Run(boolean direct, LabAgent easy, LabAgent hard, long ttdMillis) {}

    static Run run(long seed, boolean easyIsA) {
        Network net = new Network(new FakeClock(), Duration.ofMillis(15));
        List<InetSocketAddress> stun = NatlabStun.relayStun(net, "198.18.0.1", "198.18.0.11");
        NatBox easyNat = net.addNat("nat-easy", "198.18.0.2", NatConfig.easy());
        NatBox hardNat = net.addNat("nat-hard", "198.18.0.3", NatConfig.symmetric().withSeed(seed));
        LabAgent easy = new LabAgent("easy", easyNat.addHost("e1", "198.19.1.2").bind(51820), seed * 2);
        LabAgent hard = new LabAgent("hard", hardNat.addHost("h1", "198.19.2.2").bind(51820), seed * 2 + 1);
        FakeClock clock = net.clock();
        easy.netcheck(stun.subList(0, 2), clock.nanos());
        hard.netcheck(stun.subList(0, 2), clock.nanos());
        PunchNatlabTest.drive(net, List.of(easy, hard), () -> easy.probe.isDone() && hard.probe.isDone(),
                Duration.ofSeconds(10));
        assertThat(easy.report().mapping()).isEqualTo(MappingBehavior.ENDPOINT_INDEPENDENT);
        assertThat(hard.report().mapping()).isEqualTo(MappingBehavior.ENDPOINT_DEPENDENT);
        long t0 = clock.nanos();
        // what each learns from the other's call-me-maybe: candidates and NAT kind
        BirthdayPlan spray = BirthdayPlan.spray(hard.openExtra(BirthdayPlan.SPRAY_SOCKETS),
                easy.report().publicEndpoints().getFirst());
        BirthdayPlan scatter = BirthdayPlan.scatter(hard.report().publicEndpoints().getFirst().getAddress());
        List<LabAgent> order = easyIsA ? List.of(easy, hard) : List.of(hard, easy);
        for (LabAgent x : order) {
            if (x == easy) {
                easy.punch(hard.key.publicKey(), hard.candidates(), PunchConfig.defaults(), scatter, t0);
            } else {
                hard.punch(easy.key.publicKey(), easy.candidates(), PunchConfig.defaults(), spray, t0);
            }
        }
        PunchNatlabTest.drive(net, order, () -> easy.session.state() != PunchSession.State.PROBING
                && hard.session.state() != PunchSession.State.PROBING, Duration.ofSeconds(15));
        PunchNatlabTest.drive(net, order, () -> false, Duration.ofMillis(200));
        boolean direct = easy.session.state() == PunchSession.State.DIRECT
                && hard.session.state() == PunchSession.State.DIRECT;
        long ttd = -1;
        if (direct) {
            ttd = (clock.nanos() - t0) / 1_000_000;
        }
        return new Run(direct, easy, hard, ttd);
    }

    @ParameterizedTest(name = "easy first: {0}")
    @ValueSource(booleans = {true, false})
    void easyByRandomFullyGoesDirectInAlmostEverySeed(boolean easyIsA) {
        int direct = 0;
        int seeds = 20;
        StringBuilder table = new StringBuilder();
        for (long seed = 1; seed <= seeds; seed++) {
            Run r = run(seed, easyIsA);
            table.append(String.format(Locale.ROOT, "seed %2d %-8s easy pings %5d (random %4d) hard pings %5d (spray %4d)%n",
                    seed, r.direct() ? "direct" : "relayed", r.easy().session.probesSent(),
                    r.easy().session.birthdayProbesSent(), r.hard().session.probesSent(),
                    r.hard().session.birthdayProbesSent()));
            // bounded packet budgets, whatever the outcome
            assertThat(r.easy().session.birthdayProbesSent()).isLessThanOrEqualTo(1024);
            assertThat(r.easy().session.probesSent()).isLessThanOrEqualTo(1024 + PunchConfig.defaults().probeBudget());
            assertThat(r.hard().session.probesSent())
                    .isLessThanOrEqualTo(3 * 256 + 256 + PunchConfig.defaults().probeBudget());
            if (!r.direct()) {
                continue;
            }
            direct++;
            // the hard side's path is an extra socket toward the easy side's public endpoint
            PunchSession.Event.PathValidated hv = validated(r.hard());
            assertThat(hv.socket()).isPositive();
            assertThat(hv.endpoint()).isEqualTo(r.easy().report().publicEndpoints().getFirst());
            // the easy side's path is the hard NAT's mapping for that socket, on the main socket
            PunchSession.Event.PathValidated ev = validated(r.easy());
            assertThat(ev.socket()).isZero();
            assertThat(ev.endpoint().getAddress()).isEqualTo(r.hard().report().publicEndpoints().getFirst().getAddress());
            assertThat(r.hard().session.socketsHeard()).contains(hv.socket());
            // closing the sockets that heard nothing keeps the path: sockets closed, the validated one still open
            assertThat(r.hard().closeUnheard()).isGreaterThanOrEqualTo(BirthdayPlan.SPRAY_SOCKETS - 2);
            assertThat(r.hard().socket(hv.socket())).isNotNull();
            assertThat(r.ttdMillis()).isLessThan(5000);
        }
        System.out.println("birthday punching, easy x random-fully, easy first " + easyIsA + ":");
        System.out.print(table);
        // P(miss) = (1 - 256/64512)^1024 ~ 1.7 % per seed
        assertThat(direct).as(table.toString()).isGreaterThanOrEqualTo(seeds - 2);
    }

    static PunchSession.Event.PathValidated validated(LabAgent a) {
        return a.events.stream().filter(e -> e instanceof PunchSession.Event.PathValidated)
                .map(e -> (PunchSession.Event.PathValidated) e).findFirst().orElseThrow();
    }

    @Test
    void withoutAPlanTheSameCellStaysRelayed() {
        Network net = new Network(new FakeClock(), Duration.ofMillis(15));
        List<InetSocketAddress> stun = NatlabStun.relayStun(net, "198.18.0.1", "198.18.0.11");
        LabAgent a = new LabAgent("a", net.addNat("na", "198.18.0.2", NatConfig.easy()).addHost("a1", "198.19.1.2")
                .bind(51820), 1);
        LabAgent b = new LabAgent("b", net.addNat("nb", "198.18.0.3", NatConfig.symmetric().withSeed(3))
                .addHost("b1", "198.19.2.2").bind(51820), 2);
        assertThat(PunchNatlabTest.run(net, a, b, stun).direct()).isFalse();
    }

    @Test
    void planBudgetsAndValidation() {
        InetSocketAddress t = new InetSocketAddress("198.18.0.2", 51820);
        assertThat(BirthdayPlan.spray(new int[] {1, 2, 3}, t).budget()).isEqualTo(9);
        assertThat(BirthdayPlan.scatter(t.getAddress()).budget()).isEqualTo(1024);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> BirthdayPlan.spray(new int[] {0}, t))
                .hasMessageContaining("main socket");
        org.assertj.core.api.Assertions.assertThatThrownBy(
                () -> new BirthdayPlan.Scatter(t.getAddress(), 0, 1, Duration.ofMillis(1)))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
