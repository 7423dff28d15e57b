package dev.gridmesh.relay.server;

import dev.gridmesh.crypto.NodePublicKey;
import dev.gridmesh.protocol.relay.FrameType;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;

/** Delivery of packets that another relay of the mesh forwarded here (dev.gridmesh.relay.cluster). */
public final class ClusterPort {
    private ClusterPort() {}

    /**
     * Writes a relayed packet to {@code dst}'s connection on this relay. {@code srcAndData} is the PACKET payload the
     * agent gets ({@code [source key 32][data]}); it is taken over (released here when not sent). False when
     * {@code dst} is not connected here or its connection is above its high-water mark.
     */
    public static boolean deliver(RelayHub hub, NodePublicKey dst, ByteBuf srcAndData) {
        RelaySession s = hub.route(dst);
        if (s == null) {
            srcAndData.release();
            return false;
        }
        Channel c = s.channel();
        if (!c.isWritable()) {
            srcAndData.release();
            return false;
        }
        c.writeAndFlush(new RelayFrame(FrameType.PACKET, 0, srcAndData), c.voidPromise());
        return true;
    }
}
