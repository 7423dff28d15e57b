package dev.gridmesh.agent.path;

import dev.gridmesh.crypto.NodePublicKey;
import java.net.InetSocketAddress;
import java.util.List;

/**
 * What {@link PathManager} does to the outside world; {@link AgentPathIo} wires it to the data plane and relay.
 * Sockets are small integer ids: 0 is the WireGuard socket, others are extra sockets opened for birthday punching
 * ({@link #openSockets}); WireGuard datagrams arriving on an extra socket go to the data plane like the main
 * socket's, the rest to the receiver given at opening.
 */
public interface PathIo {
    /** Receives the non-WireGuard datagrams of extra sockets (on any thread; {@code datagram} is a copy). */
    @FunctionalInterface
    interface SocketReceiver {
        void onUdp(int socket, InetSocketAddress from, byte[] datagram);
    }

    /** A STUN or disco datagram out of the WireGuard UDP socket. */
    void sendUdp(InetSocketAddress to, byte[] datagram);

    /** A disco datagram out of socket {@code socket} (0: {@link #sendUdp(InetSocketAddress, byte[])}). */
    default void sendUdp(int socket, InetSocketAddress to, byte[] datagram) {
        if (socket == 0) {
            sendUdp(to, datagram);
        }
    }

    /** A disco datagram to {@code peer} through the relay (a PACKET frame addressed by node key). */
    void sendRelayed(NodePublicKey peer, byte[] datagram);

    /** Tells the relay our candidate endpoints (SetEndpoints); false when not connected (retried later). */
    boolean publishEndpoints(List<InetSocketAddress> endpoints);

    /** WireGuard datagrams to {@code peer} go straight to {@code endpoint} from now on. */
    void useDirect(NodePublicKey peer, InetSocketAddress endpoint);

    /** As {@link #useDirect(NodePublicKey, InetSocketAddress)}, sent from socket {@code socket}. */
    default void useDirect(NodePublicKey peer, InetSocketAddress endpoint, int socket) {
        if (socket == 0) {
            useDirect(peer, endpoint);
        }
    }

    /** WireGuard datagrams to {@code peer} go through the relay from now on. */
    void useRelay(NodePublicKey peer);

    /**
     * Binds up to {@code count} extra UDP sockets on ephemeral ports (same address family as the WireGuard socket);
     * returns the ids of those bound (fewer, or none, when binding fails or extra sockets are not supported).
     */
    default int[] openSockets(int count, SocketReceiver receiver) {
        return new int[0];
    }

    /** Closes an extra socket (unknown or already closed ids are ignored). */
    default void closeSocket(int socket) {
    }

    /** WireGuard bytes sent to each peer so far (traffic for a relayed peer triggers punching); may be empty. */
    default java.util.Map<NodePublicKey, Long> txBytes() {
        return java.util.Map.of();
    }
}
