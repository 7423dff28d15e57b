package dev.gridmesh.protocol.wg;

import dev.gridmesh.crypto.noise.NoiseHandshake;
import dev.gridmesh.crypto.noise.SessionKeys;
import dev.gridmesh.crypto.noise.Tai64n;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;

/**
 * The handshake half of {@link WgEngine}: creating and consuming initiations, responses and cookie replies (mac1,
 * mac2 under load), and installing the resulting sessions in a peer's keypair slots as wireguard-go's noise-protocol.go
 * and BeginSymmetricSession do. Methods marked "Guarded" run under {@code synchronized (peer)}.
 */
final class Handshakes {
    private final WgEngine e;

    Handshakes(WgEngine engine) {
        this.e = engine;
    }


    /**
     * wireguard-go's SendHandshakeInitiation: at most one initiation per REKEY_TIMEOUT per peer. Guarded.
     */
    void sendInitiation(Peer peer, long now, boolean isRetry) {
        if (!isRetry) {
            peer.handshakeAttempts = 0;
        }
        if (peer.sentHandshake && now - peer.lastSentHandshakeNanos < e.rekeyTimeout) {
            return;
        }
        peer.sentHandshake = true;
        peer.lastSentHandshakeNanos = now;
        dropHandshake(peer);
        int index = e.allocateIndex(peer);
        byte[] msg = new byte[WgMessage.INITIATION_LEN];
        msg[0] = WgMessage.TYPE_INITIATION;
        LittleEndian.writeInt(msg, 4, index);
        byte[] ephemeral = e.randomBytes(32);
        NoiseHandshake hs = NoiseHandshake.createInitiation(e.staticKey, peer.key, ephemeral,
                Tai64n.fromEpochMillis(e.epochMillis.getAsLong()), msg, 8);
        java.util.Arrays.fill(ephemeral, (byte) 0);
        if (hs == null) {
            e.indices.remove(index, peer);
            e.count(DropReason.HANDSHAKE_FAILED);
            return;
        }
        peer.handshake = hs;
        peer.handshakeIndex = index;
        peer.cookies.addMacs(msg, 0, msg.length, now);
        e.anyAuthenticatedPacketTraversal(peer, now);
        peer.sendKeepaliveAt = Peer.OFF;
        peer.retransmitHandshakeAt = now + e.rekeyTimeout + e.jitter(); // timersHandshakeInitiated
        e.transmits.add(new Transmit(peer.key, peer.endpoint, msg));
    }

    void dropHandshake(Peer peer) {
        if (peer.handshake != null) {
            e.indices.remove(peer.handshakeIndex, peer);
            peer.handshake = null;
            peer.handshakeIndex = 0;
        }
    }

    Action handleInitiation(InetSocketAddress from, ByteBuffer dg, ByteBuffer dst, long now,
            PacketResult r) {
        byte[] msg = new byte[WgMessage.INITIATION_LEN];
        dg.get(dg.position(), msg);
        Action a = checkHandshakeMacs(from, msg, LittleEndian.readInt(dg, dg.position() + 4), dst, now, r);
        if (a != null) {
            return a;
        }
        NoiseHandshake hs = NoiseHandshake.consumeInitiation(e.staticKey, msg, 8);
        if (hs == null) {
            return e.drop(r, DropReason.HANDSHAKE_FAILED);
        }
        Peer peer = e.peers.get(hs.remoteStatic());
        if (peer == null) {
            return e.drop(r, DropReason.UNKNOWN_PEER);
        }
        r.peer = peer.key;
        if (dst.remaining() < WgMessage.RESPONSE_LEN) {
            return e.drop(r, DropReason.OVERSIZED);
        }
        byte[] resp = new byte[WgMessage.RESPONSE_LEN];
        synchronized (peer) {
            byte[] ts = hs.timestamp();
            if (!Tai64n.after(ts, peer.greatestTimestamp)) {
                return e.drop(r, DropReason.REPLAYED_INITIATION);
            }
            if (peer.initiationConsumed && now - peer.lastInitiationConsumedNanos <= WgEngine.HANDSHAKE_INITIATION_RATE_NANOS) {
                return e.drop(r, DropReason.RATE_LIMITED);
            }
            byte[] ephemeral = e.randomBytes(32);
            SessionKeys keys = hs.createResponse(peer.config.presharedKey(), ephemeral, resp, 12);
            java.util.Arrays.fill(ephemeral, (byte) 0);
            if (keys == null) {
                return e.drop(r, DropReason.HANDSHAKE_FAILED);
            }
            peer.greatestTimestamp = ts;
            peer.initiationConsumed = true;
            peer.lastInitiationConsumedNanos = now;
            if (from != null) {
                peer.endpoint = from;
            }
            dropHandshake(peer);
            int remoteIndex = LittleEndian.readInt(dg, dg.position() + 4);
            int index = e.allocateIndex(WgEngine.RESERVED);
            Keypair kp = new Keypair(peer, keys, index, remoteIndex, now);
            e.indices.put(index, kp);
            resp[0] = WgMessage.TYPE_RESPONSE;
            LittleEndian.writeInt(resp, 4, index);
            LittleEndian.writeInt(resp, 8, remoteIndex);
            peer.cookies.addMacs(resp, 0, resp.length, now);
            beginSession(peer, kp);
            peer.sentHandshake = true;
            peer.lastSentHandshakeNanos = now;
            peer.zeroKeyMaterialAt = now + 3 * e.rejectAfterTime; // timersSessionDerived
            e.anyAuthenticatedPacketTraversal(peer, now);
            peer.sendKeepaliveAt = Peer.OFF; // timersAnyAuthenticatedPacketSent
            peer.txBytes.addAndGet(resp.length);
            peer.rxBytes.addAndGet(WgMessage.INITIATION_LEN);
            peer.newHandshakeAt = Peer.OFF; // timersAnyAuthenticatedPacketReceived
        }
        r.endpoint = from != null ? from : peer.endpoint;
        int start = dst.position();
        dst.put(resp);
        dst.limit(dst.position()).position(start);
        return Action.SEND;
    }

    Action handleResponse(InetSocketAddress from, ByteBuffer dg, long now, PacketResult r, ByteBuffer dst) {
        byte[] msg = new byte[WgMessage.RESPONSE_LEN];
        dg.get(dg.position(), msg);
        Action a = checkHandshakeMacs(from, msg, LittleEndian.readInt(dg, dg.position() + 4), dst, now, r);
        if (a != null) {
            return a;
        }
        int receiver = LittleEndian.readInt(dg, dg.position() + 8);
        if (!(e.indices.get(receiver) instanceof Peer peer)) {
            return e.drop(r, DropReason.UNKNOWN_INDEX);
        }
        r.peer = peer.key;
        synchronized (peer) {
            NoiseHandshake hs = peer.handshake;
            if (hs == null || peer.handshakeIndex != receiver || !hs.isInitiator()) {
                return e.drop(r, DropReason.UNKNOWN_INDEX);
            }
            SessionKeys keys = hs.consumeResponse(peer.config.presharedKey(), msg, 12);
            if (keys == null) {
                return e.drop(r, DropReason.HANDSHAKE_FAILED);
            }
            int remoteIndex = LittleEndian.readInt(dg, dg.position() + 4);
            peer.handshake = null;
            peer.handshakeIndex = 0;
            Keypair kp = new Keypair(peer, keys, receiver, remoteIndex, now);
            e.indices.put(receiver, kp);
            beginSession(peer, kp);
            if (from != null) {
                peer.endpoint = from;
            }
            peer.rxBytes.addAndGet(WgMessage.RESPONSE_LEN);
            peer.zeroKeyMaterialAt = now + 3 * e.rejectAfterTime; // timersSessionDerived
            handshakeComplete(peer);
            e.anyAuthenticatedPacketTraversal(peer, now);
            peer.newHandshakeAt = Peer.OFF; // timersAnyAuthenticatedPacketReceived
            e.sendKeepalive(peer, now, r.cipher());
        }
        r.endpoint = peer.endpoint;
        return Action.NONE;
    }

    Action handleCookieReply(ByteBuffer dg, long now, PacketResult r) {
        int receiver = LittleEndian.readInt(dg, dg.position() + 4);
        Object entry = e.indices.get(receiver);
        Peer peer = entry instanceof Peer p ? p : entry instanceof Keypair k ? k.peer : null;
        if (peer == null) {
            return e.drop(r, DropReason.UNKNOWN_INDEX);
        }
        r.peer = peer.key;
        byte[] msg = new byte[WgMessage.COOKIE_REPLY_LEN];
        dg.get(dg.position(), msg);
        synchronized (peer) {
            if (!peer.cookies.consumeReply(msg, 0, now)) {
                return e.drop(r, DropReason.BAD_COOKIE_REPLY);
            }
        }
        return Action.NONE;
    }

    /**
     * mac1 always; under e.load mac2 (else a cookie reply is written to dst and SEND returned) and the per-source rate
     * limit. Null when the message may be processed.
     */
    Action checkHandshakeMacs(InetSocketAddress from, byte[] msg, int senderIndex, ByteBuffer dst, long now,
            PacketResult r) {
        boolean underLoad = e.load.noteHandshake(now); // junk counts too: floods of it are what e.load is
        if (!e.cookieChecker.checkMac1(msg, 0, msg.length)) {
            return e.drop(r, DropReason.BAD_MAC1);
        }
        if (!underLoad || from == null) {
            return null; // relayed messages come over the authenticated relay connection: no cookie round trip
        }
        byte[] source = sourceBytes(from);
        if (!e.cookieChecker.checkMac2(msg, 0, msg.length, source, now)) {
            e.count(DropReason.BAD_MAC2_UNDER_LOAD);
            r.dropReason = DropReason.BAD_MAC2_UNDER_LOAD;
            if (dst.remaining() < WgMessage.COOKIE_REPLY_LEN) {
                return e.drop(r, DropReason.OVERSIZED);
            }
            byte[] reply = new byte[WgMessage.COOKIE_REPLY_LEN];
            e.cookieChecker.createReply(msg, 0, msg.length, senderIndex, source, now, reply, 0);
            int start = dst.position();
            dst.put(reply);
            dst.limit(dst.position()).position(start);
            r.endpoint = from;
            return Action.SEND;
        }
        if (!e.load.allow(from.getAddress(), now)) {
            return e.drop(r, DropReason.RATE_LIMITED);
        }
        return null;
    }

    private static byte[] sourceBytes(InetSocketAddress from) {
        byte[] ip = from.getAddress().getAddress();
        byte[] s = java.util.Arrays.copyOf(ip, ip.length + 2);
        s[ip.length] = (byte) from.getPort();
        s[ip.length + 1] = (byte) (from.getPort() >>> 8);
        return s;
    }

    /** wireguard-go's BeginSymmetricSession slot rotation. Guarded. */
    void beginSession(Peer peer, Keypair kp) {
        Keypair prev = peer.previous;
        Keypair cur = peer.current;
        Keypair nxt = peer.next;
        if (kp.initiator) {
            if (nxt != null) {
                peer.next = null;
                peer.previous = nxt;
                deleteKeypair(cur);
            } else {
                peer.previous = cur;
            }
            deleteKeypair(prev);
            peer.current = kp;
        } else {
            peer.next = kp;
            deleteKeypair(nxt);
            peer.previous = null;
            deleteKeypair(prev);
        }
    }

    void deleteKeypair(Keypair kp) {
        if (kp != null) {
            e.indices.remove(kp.localIndex, kp);
        }
    }

    /** timersHandshakeComplete. Guarded. */
    void handshakeComplete(Peer peer) {
        peer.retransmitHandshakeAt = Peer.OFF;
        peer.handshakeAttempts = 0;
        peer.sentLastMinuteHandshake = false;
        peer.lastHandshakeEpochMillis = e.epochMillis.getAsLong();
        e.handshakesCompleted.incrementAndGet();
    }

    /** Forgets all sessions and the handshake, drops staged packets (wireguard-go's ZeroAndFlushAll). Guarded. */
    void zeroAndFlush(Peer peer) {
        deleteKeypair(peer.current);
        deleteKeypair(peer.previous);
        deleteKeypair(peer.next);
        peer.current = null;
        peer.previous = null;
        peer.next = null;
        dropHandshake(peer);
        peer.staged.clear();
    }
}
