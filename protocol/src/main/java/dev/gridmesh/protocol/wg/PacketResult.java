package dev.gridmesh.protocol.wg;

import dev.gridmesh.crypto.NodePublicKey;
import dev.gridmesh.crypto.noise.TransportCipher;
import java.net.InetSocketAddress;

/**
 * Caller-owned, reusable result holder (one per I/O thread): no allocation per packet. It also carries the
 * thread's reusable cipher state, so one instance must not be used by two threads at once.
 * After a call: peer (the peer concerned or null), endpoint (where to SEND, may be null if unknown),
 * dropReason (when {@link Action#DROP}).
 */
public final class PacketResult {
    public NodePublicKey peer;
    public InetSocketAddress endpoint;
    public DropReason dropReason;

    /** Per-thread scratch: the data-path cipher, created on first use. */
    TransportCipher cipher;

    void clear() {
        peer = null;
        endpoint = null;
        dropReason = null;
    }

    TransportCipher cipher() {
        TransportCipher c = cipher;
        if (c == null) {
            c = new TransportCipher();
            cipher = c;
        }
        return c;
    }
}
