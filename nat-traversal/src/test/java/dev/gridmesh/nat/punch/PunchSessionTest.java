package dev.gridmesh.nat.punch;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gridmesh.crypto.NodePrivateKey;
import dev.gridmesh.nat.disco.DiscoBox;
import dev.gridmesh.nat.disco.DiscoDecoded;
import dev.gridmesh.nat.disco.DiscoMessage;
import dev.gridmesh.nat.stun.TransactionId;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The scheduler alone, under a virtual clock: pacing, budget, give-up, answers and validation. */
class PunchSessionTest {
    static final long MS = 1_000_000L;
    static final InetSocketAddress C1 = new InetSocketAddress("198.18.0.2", 51820);
    static final InetSocketAddress C2 = new InetSocketAddress("198.19.1.2", 51820);

    final NodePrivateKey me = key(1);
    final NodePrivateKey peer = key(2);
    final DiscoBox myBox = new DiscoBox(me, new SplittableRandom(1));
    final DiscoBox peerBox = new DiscoBox(peer, new SplittableRandom(2));

    static NodePrivateKey key(int seed) {
        byte[] b = new byte[32];
        new SplittableRandom(seed).nextBytes(b);
        return NodePrivateKey.fromBytes(b);
    }

    PunchSession session(PunchConfig cfg) {
        return new PunchSession(peer.publicKey(), myBox, new SplittableRandom(3), cfg);
    }

    List<PunchSession.Transmit> drain(PunchSession s) {
        List<PunchSession.Transmit> out = new ArrayList<>();
        for (PunchSession.Transmit t; (t = s.pollTransmit()) != null; ) {
            out.add(t);
        }
        return out;
    }

    DiscoMessage openAsPeer(PunchSession.Transmit t) {
        return ((DiscoDecoded.Ok) peerBox.open(ByteBuffer.wrap(t.datagram()), me.publicKey()::equals)).message();
    }

    @Test
    void roundsAreFastThenBackOffUntilGiveUp() {
        PunchSession s = session(PunchConfig.defaults());
        s.start(List.of(C1, C2), 0);
        List<Long> rounds = new ArrayList<>();
        rounds.add(0L);
        assertThat(drain(s)).hasSize(2).extracting(PunchSession.Transmit::destination).containsExactly(C1, C2);
        while (s.state() == PunchSession.State.PROBING) {
            long t = s.pollTimeout();
            s.handleTimeout(t);
            if (!drain(s).isEmpty()) {
                rounds.add(t / MS);
            }
        }
        assertThat(rounds).startsWith(0L, 100L, 200L, 300L, 400L, 500L, 700L, 1100L, 1900L, 3500L, 5500L, 7500L, 9500L);
        assertThat(s.state()).isEqualTo(PunchSession.State.FAILED);
        var gaveUp = (PunchSession.Event.GaveUp) s.pollEvent();
        assertThat(gaveUp.elapsedNanos()).isGreaterThanOrEqualTo(Duration.ofSeconds(10).toNanos());
        assertThat(gaveUp.probesSent()).isEqualTo(2 * rounds.size());
        assertThat(s.pollTimeout()).isEqualTo(PunchSession.NO_TIMEOUT);
    }

    @Test
    void budgetCapsPingsIncludingPrediction() {
        PunchConfig cfg = new PunchConfig(Duration.ofMillis(100), 5, Duration.ofSeconds(2), Duration.ofSeconds(10), 40, 16, 4);
        PunchSession s = session(cfg);
        // one address with two ports: endpoint-dependent; predict 20002, 20003, ... (step 1)
        s.start(List.of(new InetSocketAddress("198.18.0.3", 20000), new InetSocketAddress("198.18.0.3", 20001)), 0);
        List<PunchSession.Transmit> first = drain(s);
        assertThat(first).hasSize(2 + 16 + 4);
        assertThat(first.subList(2, 18)).extracting(t -> t.destination().getPort())
                .containsExactlyElementsOf(java.util.stream.IntStream.range(20002, 20018).boxed().toList());
        long now = 0;
        int total = first.size();
        while (s.state() == PunchSession.State.PROBING) {
            now = s.pollTimeout();
            s.handleTimeout(now);
            total += drain(s).size();
        }
        assertThat(total).isEqualTo(40);
        assertThat(s.probesSent()).isEqualTo(40);
    }

    @Test
    void pongValidatesThePathWhereItCameFromAndStopsRounds() {
        PunchSession s = session(PunchConfig.defaults());
        s.start(List.of(C1), 0);
        PunchSession.Transmit ping = drain(s).getFirst();
        var p = (DiscoMessage.Ping) openAsPeer(ping);
        InetSocketAddress natted = new InetSocketAddress("198.18.0.2", 40001);
        s.handleDisco(natted, new DiscoMessage.Pong(p.transactionId(), C2), 25 * MS);
        assertThat(s.state()).isEqualTo(PunchSession.State.DIRECT);
        assertThat(s.validatedPaths()).containsExactly(natted);
        var v = (PunchSession.Event.PathValidated) s.pollEvent();
        assertThat(v.rttNanos()).isEqualTo(25 * MS);
        assertThat(s.pollTimeout()).isEqualTo(PunchSession.NO_TIMEOUT);
        // an unknown pong changes nothing
        s.handleDisco(C2, new DiscoMessage.Pong(TransactionId.random(new SplittableRandom(9)), C2), 30 * MS);
        assertThat(s.pollEvent()).isNull();
    }

    @Test
    void pingsAreAnsweredAndNewSourcesPingedAtOnce() {
        PunchSession s = session(PunchConfig.defaults());
        TransactionId tx = TransactionId.random(new SplittableRandom(5));
        // before start: answered, nothing else
        s.handleDisco(C1, new DiscoMessage.Ping(tx), 0);
        List<PunchSession.Transmit> out = drain(s);
        assertThat(out).hasSize(1);
        assertThat(openAsPeer(out.getFirst())).isEqualTo(new DiscoMessage.Pong(tx, C1));
        s.start(List.of(C1), 0);
        drain(s);
        InetSocketAddress peerReflexive = new InetSocketAddress("198.18.0.3", 61000);
        s.handleDisco(peerReflexive, new DiscoMessage.Ping(tx), 10 * MS);
        out = drain(s);
        assertThat(out).extracting(PunchSession.Transmit::destination).containsExactly(peerReflexive, peerReflexive);
        assertThat(openAsPeer(out.get(0))).isInstanceOf(DiscoMessage.Pong.class);
        assertThat(openAsPeer(out.get(1))).isInstanceOf(DiscoMessage.Ping.class);
    }
}
