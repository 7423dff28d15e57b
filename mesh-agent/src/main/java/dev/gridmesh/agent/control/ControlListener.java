package dev.gridmesh.agent.control;

import dev.gridmesh.protocol.relay.ControlMessage;
import io.netty.buffer.ByteBuf;

/**
 * What the control connection reports. Every method runs on the connection's event loop, in wire order; none may
 * block for long or throw.
 */
public interface ControlListener {
    /** The connection state changed; {@code detail} says why (the last error, or the relay's address). */
    void onState(ConnectionState state, String detail);

    /**
     * The relay accepted this node. Called before any peer-map change of this connection and before relayed packets
     * flow. Return false to stop for good (e.g. the node key could not be saved).
     */
    boolean onRegistered(ControlMessage.RegisterOk ok);

    /** The peer map changed: a complete map (on every connect), or one peer added/changed/removed. */
    void onPeers(PeerMapTracker.Change change);

    /**
     * A relayed WireGuard datagram: {@code payload} is the source's node key (32 bytes) then the datagram. Valid only
     * during the call (released afterwards).
     */
    void onPacket(ByteBuf payload);

    /** The client stopped for good: refused (token, removed node, key conflict) or the relay could not be trusted. */
    void onFatal(String reason);
}
