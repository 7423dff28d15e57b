package dev.gridmesh.protocol.wg;

import dev.gridmesh.crypto.noise.SessionKeys;
import dev.gridmesh.crypto.noise.TransportCipher;
import dev.gridmesh.crypto.replay.ReplayWindow;
import java.util.concurrent.atomic.AtomicLong;
import javax.crypto.SecretKey;

/**
 * One session's transport keys (wireguard-go's Keypair): send key and counter, receive key and replay window, the
 * two indices, who initiated and when it was created.
 */
final class Keypair {
    final Peer peer;
    final SecretKey sendKey;
    final SecretKey receiveKey;
    final int localIndex;
    final int remoteIndex;
    final boolean initiator;
    final long createdNanos;
    /** Next counter to send; incremented atomically by senders. */
    final AtomicLong sendNonce = new AtomicLong();
    /** Guarded by itself. */
    final ReplayWindow replay = new ReplayWindow();

    Keypair(Peer peer, SessionKeys keys, int localIndex, int remoteIndex, long createdNanos) {
        this.peer = peer;
        this.sendKey = TransportCipher.key(keys.sendKey());
        this.receiveKey = TransportCipher.key(keys.receiveKey());
        keys.zero();
        this.localIndex = localIndex;
        this.remoteIndex = remoteIndex;
        this.initiator = keys.initiator();
        this.createdNanos = createdNanos;
    }

    /** Whether a receiver may still accept counters under {@code limit} (checked again by the replay window). */
    boolean validateCounter(long counter, long limit) {
        synchronized (replay) {
            return replay.validate(counter, limit);
        }
    }
}
