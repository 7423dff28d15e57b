package dev.gridmesh.agent.path;

import dev.gridmesh.agent.control.ControlClient;
import dev.gridmesh.agent.dataplane.DataPlane;
import dev.gridmesh.agent.relay.RelayPath;
import dev.gridmesh.crypto.NodePublicKey;
import dev.gridmesh.protocol.relay.ControlMessage;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.function.Supplier;

/**
 * {@link PathIo} on a running agent: UDP through the data plane's socket, relayed disco as PACKET frames, endpoints
 * as SetEndpoints, path switches as the data plane's per-peer sender (null = UDP to the engine's endpoint).
 */
public final class AgentPathIo implements PathIo {
    private final DataPlane dataPlane;
    private final RelayPath relay;
    private final Supplier<ControlClient> control;

    public AgentPathIo(DataPlane dataPlane, RelayPath relay, Supplier<ControlClient> control) {
        this.dataPlane = dataPlane;
        this.relay = relay;
        this.control = control;
    }

    @Override
    public void sendUdp(InetSocketAddress to, byte[] datagram) {
        dataPlane.sendOutside(to, datagram);
    }

    @Override
    public void sendRelayed(NodePublicKey peer, byte[] datagram) {
        relay.send(peer.toBytes(), ByteBuffer.wrap(datagram));
    }

    @Override
    public boolean publishEndpoints(List<InetSocketAddress> endpoints) {
        ControlClient c = control.get();
        return c != null && c.sendControl(new ControlMessage.SetEndpoints(endpoints));
    }

    @Override
    public void useDirect(NodePublicKey peer, InetSocketAddress endpoint) {
        dataPlane.engine().setPeerEndpoint(peer, endpoint);
        dataPlane.setPeerSender(peer, null);
    }

    @Override
    public void useRelay(NodePublicKey peer) {
        dataPlane.setPeerSender(peer, relay.senderFor(peer));
    }

    @Override
    public java.util.Map<NodePublicKey, Long> txBytes() {
        java.util.Map<NodePublicKey, Long> m = new java.util.HashMap<>();
        for (dev.gridmesh.protocol.wg.WgPeerStatus s : dataPlane.engine().peers()) {
            m.put(s.publicKey(), s.txBytes());
        }
        return m;
    }
}
