package dev.gridmesh.agent.control;

import dev.gridmesh.protocol.relay.FrameType;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.DefaultByteBufHolder;

/** One frame as decoded from the relay: its type, stream id and payload (a retained slice, no copy). */
final class InboundFrame extends DefaultByteBufHolder {
    final FrameType type;
    final long streamId;

    InboundFrame(FrameType type, long streamId, ByteBuf payload) {
        super(payload);
        this.type = type;
        this.streamId = streamId;
    }
}
