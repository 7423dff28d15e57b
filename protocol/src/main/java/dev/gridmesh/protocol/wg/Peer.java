package dev.gridmesh.protocol.wg;

import dev.gridmesh.crypto.NodePublicKey;
import dev.gridmesh.crypto.cookie.CookieGenerator;
import dev.gridmesh.crypto.noise.NoiseHandshake;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One peer's mutable state: config, endpoint, the three keypair slots (wireguard-go's current/previous/next), the
 * handshake in progress, the timers (whitepaper §6) and the staged packets. Fields marked "guarded" are accessed
 * under {@code synchronized (peer)}; volatile ones are also read (and timer deadlines cleared or armed) by the data
 * path without the lock, where a lost race only delays or repeats an idempotent timer action.
 */
final class Peer {
    /** Deadline value of a timer that is not pending. */
    static final long OFF = Long.MAX_VALUE;
    /** wireguard-go's QueueStagingSize. */
    static final int MAX_STAGED = 128;

    final NodePublicKey key;
    volatile WgPeerConfig config;
    volatile InetSocketAddress endpoint;
    /** Insertion order of the latest upsert: the latest claim of an allowed IP wins. */
    volatile long configSeq;
    final CookieGenerator cookies; // guarded

    volatile Keypair current;
    volatile Keypair previous; // guarded writes
    volatile Keypair next; // guarded writes

    // handshake, guarded
    NoiseHandshake handshake;
    int handshakeIndex;
    byte[] greatestTimestamp;
    long lastInitiationConsumedNanos;
    boolean initiationConsumed;
    volatile long lastSentHandshakeNanos;
    volatile boolean sentHandshake;
    int handshakeAttempts;

    // timers: deadlines in nanoTime, OFF when not pending
    volatile long retransmitHandshakeAt = OFF;
    volatile long sendKeepaliveAt = OFF;
    volatile long newHandshakeAt = OFF;
    volatile long zeroKeyMaterialAt = OFF;
    volatile long persistentKeepaliveAt = OFF;
    volatile boolean needAnotherKeepalive;
    volatile boolean sentLastMinuteHandshake;
    /** A persistent keepalive was configured: send one at the next tick (wireguard-go does on `wg set`). */
    volatile boolean keepaliveOnNextTick;

    final ArrayDeque<byte[]> staged = new ArrayDeque<>(); // guarded

    final AtomicLong rxBytes = new AtomicLong();
    final AtomicLong txBytes = new AtomicLong();
    volatile long lastHandshakeEpochMillis;

    Peer(WgPeerConfig config, CookieGenerator cookies, long seq) {
        this.key = config.publicKey();
        this.config = config;
        this.endpoint = config.endpoint();
        this.cookies = cookies;
        this.configSeq = seq;
        this.keepaliveOnNextTick = config.persistentKeepaliveSeconds() > 0;
    }

    long earliestDeadline() {
        long d = Math.min(retransmitHandshakeAt, sendKeepaliveAt);
        d = Math.min(d, newHandshakeAt);
        d = Math.min(d, zeroKeyMaterialAt);
        return Math.min(d, persistentKeepaliveAt);
    }

    @Override
    public String toString() {
        return "peer(" + key.shortString() + ")";
    }
}
