package dev.gridmesh.relay.server;

import dev.gridmesh.crypto.NodePublicKey;
import dev.gridmesh.relay.store.NodeRecord;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import java.io.IOException;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

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

    /** The id of the other relay that holds {@code key} now, or null (held here, or by none). */
    default String holderElsewhere(NodePublicKey key) {
        return null;
    }

    /**
     * Dials a link for engineer tunnel streams to relay {@code relayId} (TLS, pinned, authenticated as the packet
     * link is). {@code init} adds the stream handlers after TLS when the channel is made; the future completes once
     * the link authenticated itself (stream frames may be written from then on), or fails.
     */
    default CompletableFuture<Channel> streamLink(String relayId, Consumer<Channel> init) {
        return CompletableFuture.failedFuture(new IOException("this relay is not part of a mesh of relays"));
    }
}
