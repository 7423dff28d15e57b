package dev.gridmesh.protocol.relay;

import dev.gridmesh.crypto.NodePublicKey;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Objects;

/**
 * One peer as the relay describes it in peer-map messages.
 *
 * <pre>
 * peer := name (u8 len + UTF-8, <= 63) | node key (32) | online (u8: 0|1)
 *       | ip count (u8, <= 8)        | ip*       where ip       := u8 len (4|16) | address bytes
 *       | endpoint count (u8, <= 16) | endpoint* where endpoint := ip | port (u16)
 * </pre>
 *
 * @param overlayIps the peer's overlay addresses (today one IPv4 from the relay's range)
 * @param endpoints UDP endpoints where the peer may be reached directly (reported by the peer, or learned by STUN)
 * @param online whether the peer has a live connection to the relay
 */
public record PeerInfo(String name, NodePublicKey nodeKey, List<InetAddress> overlayIps,
                       List<InetSocketAddress> endpoints, boolean online) {
    public static final int MAX_NAME = 63;
    public static final int MAX_IPS = 8;
    public static final int MAX_ENDPOINTS = 16;

    public PeerInfo {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(nodeKey, "nodeKey");
        overlayIps = List.copyOf(overlayIps);
        endpoints = List.copyOf(endpoints);
        if (name.getBytes(StandardCharsets.UTF_8).length > MAX_NAME) {
            throw new IllegalArgumentException("name: " + name + " (expected: <= " + MAX_NAME + " bytes)");
        }
        if (overlayIps.size() > MAX_IPS) {
            throw new IllegalArgumentException("overlay ips: " + overlayIps.size() + " (expected: <= " + MAX_IPS + ")");
        }
        ControlMessage.checkEndpoints(endpoints);
    }

    /**
     * This peer alone, as it appears inside PeerMap/PeerAdded/PeerChanged bodies: lets the relay encode a peer once
     * and reuse the bytes in every full map (see {@link ControlMessage.PeerMap#partHeader}).
     */
    public byte[] encode() {
        WireWriter w = new WireWriter();
        encode(w);
        return w.toByteArray();
    }

    void encode(WireWriter w) {
        w.string(false, name).bytes(nodeKey.toBytes()).u8(online ? 1 : 0);
        w.u8(overlayIps.size());
        overlayIps.forEach(w::address);
        w.u8(endpoints.size());
        endpoints.forEach(w::endpoint);
    }

    static PeerInfo decode(WireReader r) throws RelayDecodeException {
        String name = r.string(false, MAX_NAME, "peer name");
        NodePublicKey key = NodePublicKey.fromBytes(r.bytes(32, "peer node key"));
        int online = r.u8("peer online");
        if (online > 1) {
            throw new RelayDecodeException(RelayDecodeException.Reason.BAD_FIELD, "peer online " + online + " (expected: 0 or 1)");
        }
        int nIps = r.u8("peer ip count");
        if (nIps > MAX_IPS) {
            throw new RelayDecodeException(RelayDecodeException.Reason.BAD_FIELD, "peer ip count " + nIps + " (expected: <= " + MAX_IPS + ")");
        }
        InetAddress[] ips = new InetAddress[nIps];
        for (int i = 0; i < nIps; i++) {
            ips[i] = r.address("peer ip");
        }
        List<InetSocketAddress> eps = ControlMessage.decodeEndpoints(r, "peer endpoint");
        return new PeerInfo(name, key, List.of(ips), eps, online == 1);
    }
}
