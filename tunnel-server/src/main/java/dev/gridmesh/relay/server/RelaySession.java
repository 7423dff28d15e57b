package dev.gridmesh.relay.server;

import dev.gridmesh.crypto.NodePublicKey;
import dev.gridmesh.protocol.relay.ControlMessage;
import io.netty.channel.Channel;

/** What the {@link RelayHub} needs from one authenticated connection. Methods may be called from any thread. */
interface RelaySession {
    NodePublicKey nodeKey();

    Channel channel();

    /** Queues a control message; a connection whose queue is past the limit is closed as a slow consumer. */
    void sendControl(ControlMessage m);

    /** Queues an already encoded control message (the same bytes for many sessions: encoded once per broadcast). */
    void sendControlEncoded(byte[] encoded);

    /** Sends Error(reason's code) and closes, counting {@code reason}. */
    void refuse(RelayCounter reason, String detail);
}
