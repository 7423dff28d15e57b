package dev.gridmesh.relay.server;

import dev.gridmesh.crypto.NodePublicKey;
import dev.gridmesh.relay.store.NodeRecord;
import io.netty.buffer.ByteBuf;

/**
 * What the {@link RelayHub} asks of the other relays of its mesh when several share one store
 * (dev.gridmesh.relay.cluster, docs/multi-relay.md). {@link #NONE} for a relay on its own. Implementations must not
 * block: the hub calls them under its lock and on event loops.
 */
public interface ClusterHooks {
    ClusterHooks NONE = new ClusterHooks() {};

    /** Whether {@code key} is connected to another relay now. */
    default boolean onlineElsewhere(NodePublicKey key) {
        return false;
    }

    /** {@code n} authenticated on this relay (its presence is to be published). */
    default void online(NodeRecord n) {
    }

    /** {@code n}'s connection to this relay ended. */
    default void offline(NodeRecord n) {
    }

    /**
     * A relayed packet for {@code dst}, which is not connected here: send it to the relay that holds {@code dst}.
     * {@code packet} is the agent's PACKET payload ({@code [dst key 32][data]}); it is only borrowed (copy what is
     * kept). False when no other relay holds {@code dst}.
     */
    default boolean forward(NodePublicKey dst, NodePublicKey src, ByteBuf packet) {
        return false;
    }
}
