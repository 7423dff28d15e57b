package dev.gridmesh.protocol.wg;

import static dev.gridmesh.protocol.wg.WgMessage.TYPE_INITIATION;
import static dev.gridmesh.protocol.wg.WgMessage.TYPE_RESPONSE;
import static dev.gridmesh.protocol.wg.WgMessage.TYPE_TRANSPORT;
import static org.assertj.core.api.Assertions.assertThat;

import dev.gridmesh.crypto.PresharedKey;
import dev.gridmesh.protocol.net.IpPrefix;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The timers of whitepaper §6 on two engines under a virtual clock. */
class WgEngineTimersTest {
    static WgTimers timers(long rekeyAfterMessages, long rejectAfterMessages, int rekeyAfterSec, int rejectAfterSec) {
        WgTimers s = WgTimers.standard();
        return new WgTimers(rekeyAfterMessages, rejectAfterMessages, Duration.ofSeconds(rekeyAfterSec),
                Duration.ofSeconds(rejectAfterSec), s.rekeyAttemptTime(), s.rekeyTimeout(), s.keepaliveTimeout(),
                s.cookieRefreshTime());
    }

    static final long SEC = 1_000_000_000L;

    @Test
    void eitherSideMayInitiate() {
        EnginePair pair = new EnginePair(WgTimers.standard());
        assertThat(pair.b.send(pair.bToA(50))).isEqualTo(Action.NONE);
        assertThat(pair.count("b", TYPE_INITIATION)).isEqualTo(1);
        assertThat(pair.count("a", TYPE_RESPONSE)).isEqualTo(1);
        assertThat(pair.a.tun).hasSize(1);
        assertThat(pair.a.send(pair.aToB(60))).isEqualTo(Action.SEND);
        assertThat(pair.b.tun).hasSize(1);
        assertThat(pair.a.engine.peers().get(0).lastHandshakeEpochMillis()).isPositive();
        assertThat(pair.b.engine.peers().get(0).lastHandshakeEpochMillis()).isPositive();
    }

    @Test
    void responderSendsNothingOnItsUnconfirmedSessionButStagesUntilConfirmed() {
        EnginePair pair = new EnginePair(WgTimers.standard());
        // the initiator's first transport message is lost: the responder only holds `next`
        pair.lose = s -> s.from().equals("a") && s.type() == TYPE_TRANSPORT && pair.b.tun.isEmpty()
                && pair.count("a", TYPE_TRANSPORT) == 1;
        pair.a.send(pair.aToB(10));
        assertThat(pair.b.tun).isEmpty();
        assertThat(pair.b.send(pair.bToA(10))).isEqualTo(Action.NONE); // staged, no rekey: rate limited
        assertThat(pair.count("b", TYPE_INITIATION)).isZero();
        pair.lose = s -> false;
        pair.a.send(pair.aToB(11)); // confirms the session: b flushes its staged packet
        assertThat(pair.b.tun).hasSize(1);
        assertThat(pair.a.tun).hasSize(1);
    }

    @Test
    void initiatorRekeysAfterTimeWhenSending() {
        EnginePair pair = new EnginePair(timers(1L << 60, Long.MAX_VALUE, 20, 60)).establish();
        pair.advance(Duration.ofSeconds(19));
        pair.b.send(pair.bToA(5));
        assertThat(pair.count("b", TYPE_INITIATION)).as("responder never rekeys on time").isZero();
        assertThat(pair.count("a", TYPE_INITIATION)).isEqualTo(1);
        pair.advance(Duration.ofSeconds(2));
        assertThat(pair.a.send(pair.aToB(5))).isEqualTo(Action.SEND); // old session still valid
        assertThat(pair.count("a", TYPE_INITIATION)).isEqualTo(2);
        assertThat(pair.count("b", TYPE_RESPONSE)).isEqualTo(2);
        int before = pair.b.tun.size();
        pair.a.send(pair.aToB(6));
        pair.b.send(pair.bToA(6));
        assertThat(pair.b.tun).hasSize(before + 1);
        assertThat(pair.a.tun).hasSize(3);
        // the packets after the rekey use the new session's receiver index
        List<EnginePair.Sent> data = pair.sent("a", TYPE_TRANSPORT);
        assertThat(new HashSet<>(data.stream().map(s -> WgMessage.parse(s.datagram()))
                .map(m -> ((WgMessage.Transport) m).receiver()).toList())).hasSize(2);
        assertThat(pair.a.engine.dropCounts()).isEmpty();
        assertThat(pair.b.engine.dropCounts()).isEmpty();
    }

    @Test
    void rekeyAfterMessages() {
        EnginePair pair = new EnginePair(timers(5, Long.MAX_VALUE, 120, 180)).establish();
        pair.advance(Duration.ofSeconds(6)); // past the per-peer initiation rate limit
        for (int i = 0; i < 10; i++) {
            pair.a.send(pair.aToB(i));
        }
        assertThat(pair.count("a", TYPE_INITIATION)).isEqualTo(2);
        assertThat(pair.b.tun).hasSize(11);
        assertThat(pair.b.engine.dropCounts()).isEmpty();
    }

    @Test
    void rejectAfterMessagesStagesInsteadOfSending() {
        EnginePair pair = new EnginePair(timers(4, 8, 120, 180));
        pair.lose = s -> s.type() == TYPE_INITIATION && pair.count(s.from(), TYPE_INITIATION) > 1;
        pair.establish();
        pair.advance(Duration.ofSeconds(6));
        List<Action> actions = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            actions.add(pair.a.send(pair.aToB(i)));
        }
        // counters 0 (establish) and 1..7 are sent; from 8 on the session refuses to send
        assertThat(actions.subList(0, 7)).containsOnly(Action.SEND);
        assertThat(actions.subList(7, 10)).containsOnly(Action.NONE);
        assertThat(pair.b.tun).hasSize(8);
    }

    @Test
    void rejectAfterTimeThenKeysZeroedAfterThreeTimesThat() {
        EnginePair pair = new EnginePair(WgTimers.standard());
        pair.lose = s -> s.type() == TYPE_INITIATION && pair.count(s.from(), TYPE_INITIATION) > 1;
        pair.establish();
        byte[] old = pair.sent("a", TYPE_TRANSPORT).get(0).datagram();
        pair.advance(Duration.ofSeconds(181));
        assertThat(pair.a.send(pair.aToB(1))).isEqualTo(Action.NONE);
        PacketResult r = new PacketResult();
        assertThat(pair.b.engine.decapsulate(pair.a.address, java.nio.ByteBuffer.wrap(old),
                java.nio.ByteBuffer.allocate(200), pair.now, r)).isEqualTo(Action.DROP);
        assertThat(r.dropReason).isEqualTo(DropReason.SESSION_EXPIRED);
        pair.advance(Duration.ofSeconds(360));
        pair.b.engine.decapsulate(pair.a.address, java.nio.ByteBuffer.wrap(old), java.nio.ByteBuffer.allocate(200),
                pair.now, r);
        assertThat(r.dropReason).as("keys zeroed, index gone").isEqualTo(DropReason.UNKNOWN_INDEX);
    }

    @Test
    void initiatorRekeysWhenReceivingOnAnAgingSession() {
        // REJECT_AFTER_TIME - KEEPALIVE_TIMEOUT - REKEY_TIMEOUT = 60 - 10 - 5 = 45 s
        EnginePair pair = new EnginePair(timers(1L << 60, Long.MAX_VALUE, 100, 60)).establish();
        pair.advance(Duration.ofSeconds(44));
        pair.b.send(pair.bToA(1));
        assertThat(pair.count("a", TYPE_INITIATION)).isEqualTo(1);
        pair.advance(Duration.ofSeconds(2));
        pair.b.send(pair.bToA(2));
        assertThat(pair.count("a", TYPE_INITIATION)).isEqualTo(2);
        assertThat(pair.a.tun).hasSize(3);
    }

    @Test
    void handshakeRetriesWithJitterThenGivesUpAfterRekeyAttemptTime() {
        EnginePair pair = new EnginePair(WgTimers.standard());
        pair.lose = s -> s.from().equals("b");
        pair.a.send(pair.aToB(1));
        pair.advance(Duration.ofSeconds(150));
        List<EnginePair.Sent> inits = pair.sent("a", TYPE_INITIATION);
        assertThat(inits).hasSize(19); // first + REKEY_ATTEMPT_TIME / REKEY_TIMEOUT retries
        HashSet<Long> gaps = new HashSet<>();
        for (int i = 1; i < inits.size(); i++) {
            long gap = inits.get(i).at() - inits.get(i - 1).at();
            assertThat(gap).isBetween(5 * SEC, 5 * SEC + 333_000_000L + 20_000_000L);
            gaps.add(gap);
        }
        assertThat(gaps).as("jittered").hasSizeGreaterThan(3);
        assertThat(inits.get(inits.size() - 1).at() - inits.get(0).at()).isLessThanOrEqualTo(96 * SEC);
        assertThat(pair.a.engine.dropCount(DropReason.HANDSHAKE_GAVE_UP)).isEqualTo(1);
        // a new packet starts a fresh round of attempts
        pair.a.send(pair.aToB(2));
        assertThat(pair.count("a", TYPE_INITIATION)).isEqualTo(20);
    }

    @Test
    void lostInitiationIsRetriedAndTheHandshakeCompletes() {
        EnginePair pair = new EnginePair(WgTimers.standard());
        pair.lose = s -> s.type() == TYPE_INITIATION && pair.count("a", TYPE_INITIATION) <= 2;
        pair.a.send(pair.aToB(1));
        assertThat(pair.b.tun).isEmpty();
        pair.advance(Duration.ofSeconds(11));
        assertThat(pair.count("a", TYPE_INITIATION)).isEqualTo(3);
        assertThat(pair.b.tun).hasSize(1);
    }

    @Test
    void passiveKeepaliveAfterReceivingDataWithoutAnswering() {
        EnginePair pair = new EnginePair(WgTimers.standard());
        pair.a.send(pair.aToB(1));
        long transportsFromB = pair.count("b", TYPE_TRANSPORT);
        pair.advance(Duration.ofSeconds(9));
        assertThat(pair.count("b", TYPE_TRANSPORT)).isEqualTo(transportsFromB);
        pair.advance(Duration.ofSeconds(2));
        List<EnginePair.Sent> fromB = pair.sent("b", TYPE_TRANSPORT);
        assertThat(fromB).hasSize(1);
        assertThat(fromB.get(0).datagram()).hasSize(32); // keepalive: empty payload
        assertThat(pair.a.tun).isEmpty();
        // the keepalive told A its data arrived: no new handshake at KEEPALIVE + REKEY_TIMEOUT
        pair.advance(Duration.ofSeconds(20));
        assertThat(pair.count("a", TYPE_INITIATION)).isEqualTo(1);
        assertThat(pair.count("b", TYPE_TRANSPORT)).isEqualTo(1);
    }

    @Test
    void noPassiveKeepaliveWhenDataFlowsBack() {
        EnginePair pair = new EnginePair(WgTimers.standard());
        pair.a.send(pair.aToB(1));
        pair.advance(Duration.ofSeconds(5));
        pair.b.send(pair.bToA(1));
        pair.advance(Duration.ofSeconds(20));
        assertThat(pair.sent("b", TYPE_TRANSPORT)).hasSize(1);
    }

    @Test
    void newHandshakeWhenSentDataGetsNoAnswer() {
        EnginePair pair = new EnginePair(WgTimers.standard()).establish();
        pair.advance(Duration.ofSeconds(30));
        pair.lose = s -> s.from().equals("b");
        long t0 = pair.now;
        pair.a.send(pair.aToB(1));
        pair.advance(Duration.ofSeconds(14));
        assertThat(pair.count("a", TYPE_INITIATION)).isEqualTo(1);
        pair.advance(Duration.ofSeconds(2));
        assertThat(pair.count("a", TYPE_INITIATION)).isEqualTo(2);
        assertThat(pair.sent("a", TYPE_INITIATION).get(1).at() - t0).isBetween(15 * SEC, 15 * SEC + 360_000_000L);
    }

    @Test
    void persistentKeepalive() {
        EnginePair pair = new EnginePair(WgTimers.standard());
        pair.a.engine.upsertPeer(new WgPeerConfig(pair.b.key.publicKey(), PresharedKey.NONE,
                List.of(IpPrefix.parse("100.64.0.2/32")), pair.b.address, 25));
        assertThat(pair.a.engine.nextDeadline()).isEqualTo(Long.MIN_VALUE); // a keepalive is due now
        pair.advance(Duration.ofMillis(20));
        assertThat(pair.count("a", TYPE_INITIATION)).as("keepalive needs a session").isEqualTo(1);
        long first = pair.count("a", TYPE_TRANSPORT);
        assertThat(first).isEqualTo(1);
        pair.advance(Duration.ofSeconds(101));
        assertThat(pair.count("a", TYPE_TRANSPORT)).isEqualTo(first + 4);
        assertThat(pair.sent("a", TYPE_TRANSPORT)).allMatch(s -> s.datagram().length == 32);
        assertThat(pair.count("b", TYPE_TRANSPORT)).as("keepalives are not answered").isZero();
        assertThat(pair.a.engine.peers().get(0).persistentKeepaliveSeconds()).isEqualTo(25);
    }

    @Test
    void nextDeadlineTracksPendingTimers() {
        EnginePair pair = new EnginePair(WgTimers.standard());
        assertThat(pair.a.engine.nextDeadline()).isEqualTo(Long.MAX_VALUE);
        pair.lose = s -> true;
        pair.a.send(pair.aToB(1));
        long d = pair.a.engine.nextDeadline();
        assertThat(d - pair.now).isBetween(5 * SEC, 5 * SEC + 333_000_000L);
    }
}
