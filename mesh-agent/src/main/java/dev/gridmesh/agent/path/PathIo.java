package dev.gridmesh.agent.path;

import dev.gridmesh.crypto.NodePublicKey;
import java.net.InetSocketAddress;
import java.util.List;

/** What {@link PathManager} does to the outside world; {@link AgentPathIo} wires it to the data plane and relay. */
public interface PathIo {
    /** A STUN or disco datagram out of the WireGuard UDP socket. */
    void sendUdp(InetSocketAddress to, byte[] datagram);

    /** A disco datagram to {@code peer} through the relay (a PACKET frame addressed by node key). */
    void sendRelayed(NodePublicKey peer, byte[] datagram);

    /** Tells the relay our candidate endpoints (SetEndpoints); false when not connected (retried later). */
    boolean publishEndpoints(List<InetSocketAddress> endpoints);

    /** WireGuard datagrams to {@code peer} go straight to {@code endpoint} from now on. */
    void useDirect(NodePublicKey peer, InetSocketAddress endpoint);

    /** WireGuard datagrams to {@code peer} go through the relay from now on. */
    void useRelay(NodePublicKey peer);

    /** WireGuard bytes sent to each peer so far (traffic for a relayed peer triggers punching); may be empty. */
    default java.util.Map<NodePublicKey, Long> txBytes() {
        return java.util.Map.of();
    }
}
