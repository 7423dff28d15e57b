package dev.gridmesh.protocol.wg;

import dev.gridmesh.crypto.NodePublicKey;
import java.net.InetSocketAddress;

/**
 * A datagram the engine wants sent (handshake messages, cookie replies, keepalives, packets staged during a
 * handshake).
 *
 * @param peer     null for a cookie reply to an unknown sender
 * @param endpoint nullable: no known endpoint (the agent may send it over the relay, addressed by {@code peer})
 */
public record Transmit(NodePublicKey peer, InetSocketAddress endpoint, byte[] datagram) {
}
