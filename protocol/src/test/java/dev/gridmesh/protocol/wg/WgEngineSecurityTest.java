package dev.gridmesh.protocol.wg;

import static dev.gridmesh.protocol.wg.WgMessage.TYPE_COOKIE_REPLY;
import static dev.gridmesh.protocol.wg.WgMessage.TYPE_INITIATION;
import static dev.gridmesh.protocol.wg.WgMessage.TYPE_RESPONSE;
import static dev.gridmesh.protocol.wg.WgMessage.TYPE_TRANSPORT;
import static org.assertj.core.api.Assertions.assertThat;

import dev.gridmesh.crypto.NodePrivateKey;
import dev.gridmesh.crypto.PresharedKey;
import dev.gridmesh.protocol.net.IpPrefix;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** psk, replay, roaming, cookies, and bad input: every bad packet is dropped and counted, nothing throws. */
class WgEngineSecurityTest {
    final PacketResult r = new PacketResult();

    Action deliverToB(EnginePair pair, InetSocketAddress from, byte[] datagram) {
        return pair.b.engine.decapsulate(from, ByteBuffer.wrap(datagram), ByteBuffer.allocate(2048), pair.now, r);
    }

    @Test
    void presharedKeyMismatchFailsTheHandshake() {
        PresharedKey psk = PresharedKey.generate(new java.security.SecureRandom());
        EnginePair pair = new EnginePair(WgTimers.standard(), psk, PresharedKey.NONE);
        pair.a.send(pair.aToB(1));
        assertThat(pair.count("b", TYPE_RESPONSE)).isEqualTo(1);
        assertThat(pair.a.engine.dropCount(DropReason.HANDSHAKE_FAILED)).isEqualTo(1);
        assertThat(pair.b.tun).isEmpty();
        assertThat(pair.a.engine.peers().get(0).lastHandshakeEpochMillis()).isZero();
    }

    @Test
    void matchingPresharedKeysWork() {
        PresharedKey psk = PresharedKey.generate(new java.security.SecureRandom());
        EnginePair pair = new EnginePair(WgTimers.standard(), psk, psk).establish();
        assertThat(pair.a.engine.peers().get(0).hasPresharedKey()).isTrue();
    }

    @Test
    void replayedInitiationIsRejectedAndTheSessionSurvives() {
        EnginePair pair = new EnginePair(WgTimers.standard()).establish();
        byte[] init = pair.sent("a", TYPE_INITIATION).get(0).datagram();
        pair.advance(Duration.ofSeconds(1));
        assertThat(deliverToB(pair, pair.a.address, init)).isEqualTo(Action.DROP);
        assertThat(r.dropReason).isEqualTo(DropReason.REPLAYED_INITIATION);
        assertThat(pair.b.send(pair.bToA(3))).isEqualTo(Action.SEND);
        assertThat(pair.a.tun).hasSize(2);
    }

    @Test
    void initiationFloodFromOnePeerIsRateLimited() {
        EnginePair pair = new EnginePair(WgTimers.standard());
        pair.lose = s -> s.from().equals("b");
        pair.a.send(pair.aToB(1));
        // a second, newer initiation from the same peer within 50 ms: forge by re-running A after its rate limit
        EnginePair other = new EnginePair(WgTimers.standard());
        other.now = pair.now + 100_000_000L; // later wall clock: newer timestamp (TAI64N has ~16 ms steps)
        other.lose = s -> true;
        other.a.send(other.aToB(1));
        byte[] newer = other.sent("a", TYPE_INITIATION).get(0).datagram();
        pair.now += 10_000_000L;
        assertThat(deliverToB(pair, pair.a.address, newer)).isEqualTo(Action.DROP);
        assertThat(r.dropReason).isEqualTo(DropReason.RATE_LIMITED);
        pair.now += 100_000_000L;
        assertThat(deliverToB(pair, pair.a.address, newer)).isEqualTo(Action.SEND);
    }

    @Test
    void replayedTransportIsDropped() {
        EnginePair pair = new EnginePair(WgTimers.standard()).establish();
        byte[] data = pair.sent("a", TYPE_TRANSPORT).get(0).datagram();
        assertThat(deliverToB(pair, pair.a.address, data)).isEqualTo(Action.DROP);
        assertThat(r.dropReason).isEqualTo(DropReason.REPLAYED);
        assertThat(pair.b.engine.dropCount(DropReason.REPLAYED)).isEqualTo(1);
    }

    @Test
    void tamperedOrWronglyKeyedTransportIsDropped() {
        EnginePair pair = new EnginePair(WgTimers.standard()).establish();
        pair.lose = s -> true;
        pair.a.send(pair.aToB(40));
        byte[] data = pair.sent("a", TYPE_TRANSPORT).get(1).datagram();
        for (int pos : new int[] {8, 16, 30, data.length - 1}) {
            byte[] bad = data.clone();
            bad[pos] ^= 0x20;
            assertThat(deliverToB(pair, pair.a.address, bad)).isEqualTo(Action.DROP);
            assertThat(r.dropReason).as("flipped byte %d", pos).isIn(DropReason.DECRYPT_FAILED);
        }
        // the untouched packet is still accepted: failed decryptions do not advance the replay window
        assertThat(deliverToB(pair, pair.a.address, data)).isEqualTo(Action.WRITE_TUN);
        // sealed under another key, addressed to our index with a fresh counter
        byte[] mine = pair.sent("a", TYPE_TRANSPORT).get(0).datagram();
        ByteBuffer foreign = ByteBuffer.allocate(16 + 48 + 16);
        foreign.put(mine, 0, 8).putLong(Long.reverseBytes(500));
        byte[] otherKey = new byte[32];
        new Random(4).nextBytes(otherKey);
        new dev.gridmesh.crypto.noise.TransportCipher().seal(dev.gridmesh.crypto.noise.TransportCipher.key(otherKey),
                500, ByteBuffer.wrap(pair.aToB(28)), 0, foreign);
        assertThat(deliverToB(pair, pair.a.address, foreign.array())).isEqualTo(Action.DROP);
        assertThat(r.dropReason).isEqualTo(DropReason.DECRYPT_FAILED);
    }

    @Test
    void sourceAddressMustBeInTheSendersAllowedIps() {
        EnginePair pair = new EnginePair(WgTimers.standard()).establish();
        assertThat(pair.a.send(EnginePair.ipv4("100.64.0.99", "100.64.0.2", 8))).isEqualTo(Action.SEND);
        assertThat(pair.b.engine.dropCount(DropReason.SOURCE_NOT_ALLOWED)).isEqualTo(1);
        assertThat(pair.b.tun).hasSize(1);
    }

    @Test
    void malformedInnerPacketIsDropped() {
        EnginePair pair = new EnginePair(WgTimers.standard()).establish();
        ByteBuffer dst = ByteBuffer.allocate(200);
        byte[] junk = new byte[30];
        junk[0] = 0x55; // IP version 5
        assertThat(pair.a.engine.encapsulate(pair.b.key.publicKey(), ByteBuffer.wrap(junk), dst, pair.now, r))
                .isEqualTo(Action.SEND);
        assertThat(deliverToB(pair, pair.a.address, EnginePair.copy(dst))).isEqualTo(Action.DROP);
        assertThat(r.dropReason).isEqualTo(DropReason.MALFORMED);
        byte[] lying = EnginePair.ipv4("100.64.0.1", "100.64.0.2", 10);
        lying[3] = (byte) 200; // total length beyond the packet
        dst.clear();
        pair.a.engine.encapsulate(pair.b.key.publicKey(), ByteBuffer.wrap(lying), dst, pair.now, r);
        assertThat(deliverToB(pair, pair.a.address, EnginePair.copy(dst))).isEqualTo(Action.DROP);
        assertThat(r.dropReason).isEqualTo(DropReason.MALFORMED);
    }

    @Test
    void garbageIsClassifiedAndCounted() {
        EnginePair pair = new EnginePair(WgTimers.standard()).establish();
        InetSocketAddress from = pair.a.address;
        assertThat(deliverToB(pair, from, new byte[] {1, 0, 0})).isEqualTo(Action.DROP);
        assertThat(r.dropReason).isEqualTo(DropReason.TRUNCATED);
        assertThat(deliverToB(pair, from, new byte[] {9, 0, 0, 0, 1, 2, 3, 4})).isEqualTo(Action.DROP);
        assertThat(r.dropReason).isEqualTo(DropReason.UNKNOWN_TYPE);
        byte[] reserved = pair.sent("a", TYPE_TRANSPORT).get(0).datagram().clone();
        reserved[2] = 1;
        assertThat(deliverToB(pair, from, reserved)).isEqualTo(Action.DROP);
        assertThat(r.dropReason).isEqualTo(DropReason.UNKNOWN_TYPE);
        assertThat(deliverToB(pair, from, new byte[100])).isEqualTo(Action.DROP);
        assertThat(r.dropReason).isEqualTo(DropReason.UNKNOWN_TYPE);
        byte[] shortInit = new byte[147];
        shortInit[0] = 1;
        assertThat(deliverToB(pair, from, shortInit)).isEqualTo(Action.DROP);
        assertThat(r.dropReason).isEqualTo(DropReason.TRUNCATED);
        byte[] longResp = new byte[93];
        longResp[0] = 2;
        assertThat(deliverToB(pair, from, longResp)).isEqualTo(Action.DROP);
        assertThat(r.dropReason).isEqualTo(DropReason.MALFORMED);
        byte[] shortTransport = new byte[31];
        shortTransport[0] = 4;
        assertThat(deliverToB(pair, from, shortTransport)).isEqualTo(Action.DROP);
        assertThat(r.dropReason).isEqualTo(DropReason.TRUNCATED);
        byte[] huge = new byte[WgMessage.MAX_DATAGRAM_LEN + 1];
        huge[0] = 4;
        assertThat(deliverToB(pair, from, huge)).isEqualTo(Action.DROP);
        assertThat(r.dropReason).isEqualTo(DropReason.OVERSIZED);
        byte[] unknownIndex = pair.sent("a", TYPE_TRANSPORT).get(0).datagram().clone();
        unknownIndex[4] ^= (byte) 0xff;
        assertThat(deliverToB(pair, from, unknownIndex)).isEqualTo(Action.DROP);
        assertThat(r.dropReason).isEqualTo(DropReason.UNKNOWN_INDEX);
        byte[] badMac1 = pair.sent("a", TYPE_INITIATION).get(0).datagram().clone();
        badMac1[120] ^= 1;
        assertThat(deliverToB(pair, from, badMac1)).isEqualTo(Action.DROP);
        assertThat(r.dropReason).isEqualTo(DropReason.BAD_MAC1);
        byte[] cookie = new byte[64];
        cookie[0] = 3;
        assertThat(deliverToB(pair, from, cookie)).isEqualTo(Action.DROP);
        assertThat(r.dropReason).isEqualTo(DropReason.UNKNOWN_INDEX);
        // a response to nothing we sent: valid mac1 but stale index
        byte[] resp = pair.sent("b", TYPE_RESPONSE).get(0).datagram();
        PacketResult ra = new PacketResult();
        assertThat(pair.a.engine.decapsulate(pair.b.address, ByteBuffer.wrap(resp), ByteBuffer.allocate(200),
                pair.now, ra)).isEqualTo(Action.DROP);
        assertThat(ra.dropReason).isEqualTo(DropReason.UNKNOWN_INDEX);
        // too small an output buffer
        pair.lose = s -> true;
        pair.a.send(pair.aToB(100));
        byte[] big = pair.log.get(pair.log.size() - 1).datagram();
        pair.b.engine.decapsulate(from, ByteBuffer.wrap(big), ByteBuffer.allocate(50), pair.now, r);
        assertThat(r.dropReason).isEqualTo(DropReason.OVERSIZED);
        assertThat(pair.b.engine.dropCounts()).containsKeys(DropReason.TRUNCATED, DropReason.UNKNOWN_TYPE,
                DropReason.MALFORMED, DropReason.OVERSIZED, DropReason.UNKNOWN_INDEX, DropReason.BAD_MAC1);
    }

    @Test
    void initiationFromAnUnknownKeyIsDropped() {
        EnginePair pair = new EnginePair(WgTimers.standard());
        NodePrivateKey stranger = EnginePair.key(99);
        WgEngine c = new WgEngine(stranger, WgTimers.standard(), new Random(9), () -> EnginePair.EPOCH_BASE_MILLIS);
        c.upsertPeer(new WgPeerConfig(pair.b.key.publicKey(), PresharedKey.NONE,
                List.of(IpPrefix.parse("100.64.0.2/32")), pair.b.address, 0));
        c.encapsulate(ByteBuffer.wrap(EnginePair.ipv4("100.64.0.3", "100.64.0.2", 1)), ByteBuffer.allocate(100), 0, r);
        byte[] init = c.pollTransmit().datagram();
        assertThat(deliverToB(pair, EnginePair.addr("198.18.0.3", 1), init)).isEqualTo(Action.DROP);
        assertThat(r.dropReason).isEqualTo(DropReason.UNKNOWN_PEER);
    }

    @Test
    void encapsulateDrops() {
        EnginePair pair = new EnginePair(WgTimers.standard()).establish();
        WgEngine a = pair.a.engine;
        ByteBuffer dst = ByteBuffer.allocate(2048);
        assertThat(a.encapsulate(ByteBuffer.wrap(EnginePair.ipv4("100.64.0.1", "100.64.0.7", 1)), dst, pair.now, r))
                .isEqualTo(Action.DROP);
        assertThat(r.dropReason).isEqualTo(DropReason.NO_ROUTE);
        assertThat(a.encapsulate(ByteBuffer.wrap(new byte[] {0x45, 0}), dst, pair.now, r)).isEqualTo(Action.DROP);
        assertThat(r.dropReason).isEqualTo(DropReason.TRUNCATED);
        assertThat(a.encapsulate(ByteBuffer.wrap(new byte[40]), dst, pair.now, r)).isEqualTo(Action.DROP);
        assertThat(r.dropReason).isEqualTo(DropReason.MALFORMED);
        assertThat(a.encapsulate(ByteBuffer.wrap(pair.aToB(100)), ByteBuffer.allocate(100), pair.now, r))
                .isEqualTo(Action.DROP);
        assertThat(r.dropReason).isEqualTo(DropReason.OVERSIZED);
        assertThat(a.encapsulate(ByteBuffer.wrap(EnginePair.ipv6("fd00::1", "fd00::2", 8)), dst, pair.now, r))
                .isEqualTo(Action.DROP);
        assertThat(r.dropReason).isEqualTo(DropReason.NO_ROUTE);
        assertThat(a.encapsulate(EnginePair.key(77).publicKey(), ByteBuffer.wrap(pair.aToB(1)), dst, pair.now, r))
                .isEqualTo(Action.DROP);
        assertThat(r.dropReason).isEqualTo(DropReason.UNKNOWN_PEER);
    }

    @Test
    void paddingIsCappedByTheOutputBuffer() {
        EnginePair pair = new EnginePair(WgTimers.standard()).establish();
        byte[] pkt = pair.aToB(1); // 21 bytes: padded to 32 if room
        ByteBuffer dst = ByteBuffer.allocate(21 + 32);
        assertThat(pair.a.engine.encapsulate(ByteBuffer.wrap(pkt), dst, pair.now, r)).isEqualTo(Action.SEND);
        assertThat(dst.remaining()).isEqualTo(53);
        pair.wire(pair.a, EnginePair.copy(dst));
        assertThat(pair.b.tun.get(pair.b.tun.size() - 1)).isEqualTo(pkt);
        ByteBuffer roomy = ByteBuffer.allocate(200);
        pair.a.engine.encapsulate(ByteBuffer.wrap(pkt), roomy, pair.now, r);
        assertThat(roomy.remaining()).isEqualTo(16 + 32 + 16);
    }

    @Test
    void roamingFollowsTheLatestAuthenticatedSourceButNotTheRelay() {
        EnginePair pair = new EnginePair(WgTimers.standard()).establish();
        InetSocketAddress moved = EnginePair.addr("198.18.0.77", 40000);
        pair.a.address = moved;
        pair.a.send(pair.aToB(1));
        assertThat(pair.b.engine.peers().get(0).endpoint()).isEqualTo(moved);
        pair.b.send(pair.bToA(1));
        assertThat(pair.b.result.endpoint).isEqualTo(moved);
        pair.viaRelay = true;
        pair.a.address = EnginePair.addr("198.18.0.78", 40001);
        pair.a.send(pair.aToB(2));
        assertThat(pair.b.tun).hasSize(3);
        assertThat(pair.b.engine.peers().get(0).endpoint()).isEqualTo(moved);
        // forged source with a bad packet does not move the endpoint
        pair.viaRelay = false;
        byte[] bad = pair.sent("a", TYPE_TRANSPORT).get(0).datagram().clone();
        bad[20] ^= 1;
        deliverToB(pair, EnginePair.addr("198.18.0.66", 1), bad);
        assertThat(pair.b.engine.peers().get(0).endpoint()).isEqualTo(moved);
        pair.b.engine.setPeerEndpoint(pair.a.key.publicKey(), null);
        assertThat(pair.b.engine.peers().get(0).endpoint()).isNull();
    }

    @Test
    void underLoadCookieDance() {
        EnginePair pair = new EnginePair(WgTimers.standard());
        pair.b.engine.setForceUnderLoad(true);
        pair.a.send(pair.aToB(1));
        assertThat(pair.count("b", TYPE_COOKIE_REPLY)).isEqualTo(1);
        assertThat(pair.count("b", TYPE_RESPONSE)).isZero();
        assertThat(pair.b.engine.dropCount(DropReason.BAD_MAC2_UNDER_LOAD)).isEqualTo(1);
        pair.advance(Duration.ofSeconds(6)); // the retry carries mac2
        assertThat(pair.count("a", TYPE_INITIATION)).isEqualTo(2);
        assertThat(pair.count("b", TYPE_RESPONSE)).isEqualTo(1);
        assertThat(pair.b.tun).hasSize(1);
        assertThat(pair.a.engine.dropCounts()).isEmpty();
        assertThat(pair.b.engine.dropCount(DropReason.BAD_MAC2_UNDER_LOAD)).isEqualTo(1);
        byte[] second = pair.sent("a", TYPE_INITIATION).get(1).datagram();
        assertThat(java.util.Arrays.copyOfRange(second, 132, 148)).isNotEqualTo(new byte[16]);
    }

    @Test
    void loadIsDetectedFromTheHandshakeRate() {
        EnginePair pair = new EnginePair(WgTimers.standard());
        pair.b.engine.setUnderLoadThreshold(1);
        assertThat(pair.b.engine.isUnderLoad(pair.now)).isFalse();
        pair.a.send(pair.aToB(1));
        assertThat(pair.b.tun).hasSize(1);
        byte[] init = pair.sent("a", TYPE_INITIATION).get(0).datagram();
        deliverToB(pair, pair.a.address, init); // second handshake message within a second
        assertThat(pair.b.engine.isUnderLoad(pair.now)).isTrue();
        assertThat(r.dropReason).isEqualTo(DropReason.BAD_MAC2_UNDER_LOAD);
        assertThat(pair.b.engine.isUnderLoad(pair.now + 2_000_000_000L)).isFalse();
    }

    @Test
    void forgedCookieReplyIsDropped() {
        EnginePair pair = new EnginePair(WgTimers.standard());
        pair.lose = s -> true;
        pair.a.send(pair.aToB(1));
        byte[] init = pair.sent("a", TYPE_INITIATION).get(0).datagram();
        byte[] cookie = new byte[64];
        cookie[0] = 3;
        System.arraycopy(init, 4, cookie, 4, 4);
        PacketResult ra = new PacketResult();
        assertThat(pair.a.engine.decapsulate(pair.b.address, ByteBuffer.wrap(cookie), ByteBuffer.allocate(100),
                pair.now, ra)).isEqualTo(Action.DROP);
        assertThat(ra.dropReason).isEqualTo(DropReason.BAD_COOKIE_REPLY);
    }

    @Test
    void removedPeerIsForgotten() {
        EnginePair pair = new EnginePair(WgTimers.standard()).establish();
        byte[] data = pair.sent("a", TYPE_TRANSPORT).get(0).datagram();
        assertThat(pair.b.engine.removePeer(pair.a.key.publicKey())).isTrue();
        assertThat(pair.b.engine.removePeer(pair.a.key.publicKey())).isFalse();
        assertThat(pair.b.engine.peers()).isEmpty();
        deliverToB(pair, pair.a.address, data);
        assertThat(r.dropReason).isEqualTo(DropReason.UNKNOWN_INDEX);
        assertThat(pair.b.send(pair.bToA(1))).isEqualTo(Action.DROP);
        assertThat(pair.b.result.dropReason).isEqualTo(DropReason.NO_ROUTE);
    }

    @Test
    void upsertKeepsTheSession() {
        EnginePair pair = new EnginePair(WgTimers.standard()).establish();
        pair.b.engine.upsertPeer(new WgPeerConfig(pair.a.key.publicKey(), PresharedKey.NONE,
                List.of(IpPrefix.parse("100.64.0.1/32"), IpPrefix.parse("fd00::1/128")), null, 0));
        assertThat(pair.b.send(pair.bToA(1))).isEqualTo(Action.SEND);
        assertThat(pair.b.send(EnginePair.ipv6("fd00::2", "fd00::1", 4))).isEqualTo(Action.SEND);
        assertThat(pair.b.engine.peers().get(0).endpoint()).isEqualTo(pair.a.address);
        assertThat(pair.b.engine.peers().get(0).allowedIps()).hasSize(2);
        assertThat(pair.count("b", TYPE_INITIATION)).isZero();
    }
}
