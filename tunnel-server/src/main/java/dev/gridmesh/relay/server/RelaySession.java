package dev.gridmesh.relay.server;

import dev.gridmesh.crypto.NodePublicKey;
import io.netty.channel.Channel;

/** What the {@link RelayHub} needs from one authenticated connection. Methods may be called from any thread. */
interface RelaySession {
    NodePublicKey nodeKey();

    Channel channel();

    /** This connection's place in the hub's peer-map fan-out (touched only on the channel's event loop). */
    PeerFeed peerFeed();

    /** Sends Error(reason's code) and closes, counting {@code reason}. */
    void refuse(RelayCounter reason, String detail);
}
