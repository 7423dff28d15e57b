package dev.gridmesh.agent.dataplane;

import dev.gridmesh.crypto.NodePublicKey;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;

/**
 * Where a peer's WireGuard datagrams go when not straight out of the UDP socket: the hook for the relay path
 * (datagrams addressed by node key over the agent's TCP/TLS connection). Chosen per peer with
 * {@link DataPlane#setPeerSender}; peers without one use UDP to their endpoint.
 */
@FunctionalInterface
public interface PeerSender {
    /**
     * Sends one WireGuard datagram. Called from the inside thread or the outside event loop, so it must be
     * thread-safe and must not block for long. {@code datagram} (position..limit) is only valid during the call:
     * copy what you keep. Errors are the sender's to count; never throw.
     *
     * @param endpoint the peer's UDP endpoint as the engine knows it; may be null
     */
    void send(NodePublicKey peer, InetSocketAddress endpoint, ByteBuffer datagram);
}
