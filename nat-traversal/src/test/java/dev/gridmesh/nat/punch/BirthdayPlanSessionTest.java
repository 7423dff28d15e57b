package dev.gridmesh.nat.punch;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gridmesh.crypto.NodePrivateKey;
import dev.gridmesh.nat.disco.DiscoBox;
import dev.gridmesh.nat.disco.DiscoDecoded;
import dev.gridmesh.nat.disco.DiscoMessage;
import dev.gridmesh.nat.stun.TransactionId;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** A session with a birthday plan, alone under a virtual clock: sockets, pacing, budgets, validation per socket. */
class BirthdayPlanSessionTest {
    static final long MS = 1_000_000L;
    static final InetSocketAddress EASY = new InetSocketAddress("198.18.0.2", 51820);
    static final InetSocketAddress HARD_LAN = new InetSocketAddress("198.19.2.2", 51820);
    static final InetAddress HARD_PUBLIC = addr("198.18.0.3");

    final NodePrivateKey me = PunchSessionTest.key(1);
    final NodePrivateKey peer = PunchSessionTest.key(2);
    final DiscoBox myBox = new DiscoBox(me, new SplittableRandom(1));
    final DiscoBox peerBox = new DiscoBox(peer, new SplittableRandom(2));

    static InetAddress addr(String s) {
        try {
            return InetAddress.getByName(s);
        } catch (java.net.UnknownHostException e) {
            throw new IllegalArgumentException(e);
        }
    }

    PunchSession session() {
        return new PunchSession(peer.publicKey(), myBox, new SplittableRandom(3), PunchConfig.defaults());
    }

    static List<PunchSession.Transmit> drain(PunchSession s) {
        List<PunchSession.Transmit> out = new ArrayList<>();
        for (PunchSession.Transmit t; (t = s.pollTransmit()) != null; ) {
            out.add(t);
        }
        return out;
    }

    DiscoMessage open(PunchSession.Transmit t) {
        return ((DiscoDecoded.Ok) peerBox.open(ByteBuffer.wrap(t.datagram()), me.publicKey()::equals)).message();
    }

    static int[] ids(int n) {
        int[] a = new int[n];
        for (int i = 0; i < n; i++) {
            a[i] = i + 1;
        }
        return a;
    }

    @Test
    void sprayPingsTheTargetFromEverySocketInRoundsThenStops() {
        PunchSession s = session();
        s.start(List.of(EASY), BirthdayPlan.spray(ids(256), EASY), 0);
        List<PunchSession.Transmit> first = drain(s);
        // one main-socket ping to the candidate, then one ping from each of the 256 sockets to the target
        assertThat(first).hasSize(257);
        assertThat(first.getFirst().socket()).isZero();
        Set<Integer> sockets = new HashSet<>();
        for (PunchSession.Transmit t : first.subList(1, 257)) {
            assertThat(t.destination()).isEqualTo(EASY);
            assertThat(open(t)).isInstanceOf(DiscoMessage.Ping.class);
            sockets.add(t.socket());
        }
        assertThat(sockets).hasSize(256).doesNotContain(0);
        int sprays = 1;
        while (s.state() == PunchSession.State.PROBING) {
            long t = s.pollTimeout();
            s.handleTimeout(t);
            long fromExtra = drain(s).stream().filter(x -> x.socket() != 0).count();
            if (fromExtra > 0) {
                assertThat(fromExtra).isEqualTo(256);
                assertThat(t).isEqualTo(sprays * 1000 * MS);
                sprays++;
            }
        }
        assertThat(sprays).isEqualTo(3);
        assertThat(s.birthdayProbesSent()).isEqualTo(768);
        assertThat(s.probesSent()).isLessThanOrEqualTo(768 + PunchConfig.defaults().probeBudget());
        assertThat(s.state()).isEqualTo(PunchSession.State.FAILED);
    }

    @Test
    void scatterPingsDistinctRandomPortsOfTheAddressPacedThenStops() {
        PunchSession s = session();
        s.start(List.of(new InetSocketAddress(HARD_PUBLIC, 40000), HARD_LAN), BirthdayPlan.scatter(HARD_PUBLIC), 0);
        Set<Integer> ports = new HashSet<>();
        long last = 0;
        int ticks = 0;
        while (s.state() == PunchSession.State.PROBING && s.birthdayProbesSent() < 1024) {
            for (PunchSession.Transmit t : drain(s)) {
                assertThat(t.socket()).isZero();
                if (t.destination().getAddress().equals(HARD_PUBLIC) && t.destination().getPort() != 40000) {
                    assertThat(ports.add(t.destination().getPort())).as("distinct ports").isTrue();
                    assertThat(t.destination().getPort()).isBetween(1024, 65535);
                }
            }
            last = s.pollTimeout();
            s.handleTimeout(last);
            ticks++;
        }
        drain(s).forEach(t -> ports.add(t.destination().getPort()));
        assertThat(s.birthdayProbesSent()).isEqualTo(1024);
        assertThat(ports.size()).isGreaterThanOrEqualTo(1024);
        // 64 per 100 ms: the last of 16 ticks at 1.5 s
        assertThat(last).isLessThanOrEqualTo(1600 * MS);
        assertThat(ticks).isGreaterThanOrEqualTo(15);
    }

    @Test
    void aPingOnAnExtraSocketIsAnsweredAndPingedBackFromItAndItsPongValidatesThatSocket() {
        PunchSession s = session();
        s.start(List.of(EASY), BirthdayPlan.spray(ids(4), EASY), 0);
        drain(s);
        TransactionId tx = TransactionId.random(new SplittableRandom(9));
        s.handleDisco(3, EASY, new DiscoMessage.Ping(tx), 5 * MS);
        List<PunchSession.Transmit> out = drain(s);
        assertThat(out).hasSize(2).allSatisfy(t -> {
            assertThat(t.socket()).isEqualTo(3);
            assertThat(t.destination()).isEqualTo(EASY);
        });
        assertThat(open(out.get(0))).isEqualTo(new DiscoMessage.Pong(tx, EASY));
        DiscoMessage.Ping back = (DiscoMessage.Ping) open(out.get(1));
        assertThat(s.socketsHeard()).containsExactly(3);
        // the pong to the ping-back arriving on another socket does not count
        s.handleDisco(2, EASY, new DiscoMessage.Pong(back.transactionId(), EASY), 6 * MS);
        assertThat(s.state()).isEqualTo(PunchSession.State.PROBING);
        s.handleDisco(3, EASY, new DiscoMessage.Pong(back.transactionId(), EASY), 7 * MS);
        assertThat(s.state()).as("the same pong on the right socket still validates").isEqualTo(PunchSession.State.DIRECT);
        // on the socket it was sent from, it validates that socket
        PunchSession s2 = session();
        s2.start(List.of(EASY), BirthdayPlan.spray(ids(4), EASY), 0);
        drain(s2);
        s2.handleDisco(3, EASY, new DiscoMessage.Ping(tx), 5 * MS);
        DiscoMessage.Ping back2 = (DiscoMessage.Ping) open(drain(s2).get(1));
        s2.handleDisco(3, EASY, new DiscoMessage.Pong(back2.transactionId(), EASY), 7 * MS);
        assertThat(s2.state()).isEqualTo(PunchSession.State.DIRECT);
        PunchSession.Event.PathValidated v = (PunchSession.Event.PathValidated) s2.pollEvent();
        assertThat(v.socket()).isEqualTo(3);
        assertThat(v.endpoint()).isEqualTo(EASY);
        assertThat(v.rttNanos()).isEqualTo(2 * MS);
        // direct: the spray stops
        assertThat(s2.pollTimeout()).isEqualTo(PunchSession.NO_TIMEOUT);
        s2.handleTimeout(Duration.ofSeconds(5).toNanos());
        assertThat(drain(s2)).isEmpty();
    }
}
