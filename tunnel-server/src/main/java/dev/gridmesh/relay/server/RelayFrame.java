package dev.gridmesh.relay.server;

import dev.gridmesh.protocol.relay.ControlMessage;
import dev.gridmesh.protocol.relay.FrameHeader;
import dev.gridmesh.protocol.relay.FrameType;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.DefaultByteBufHolder;
import io.netty.buffer.Unpooled;
import java.util.Objects;

/** One frame inside the Netty pipeline: the decoded header and the payload (reference-counted, released by its consumer). */
public final class RelayFrame extends DefaultByteBufHolder {
    private final FrameType type;
    private final long streamId;

    public RelayFrame(FrameType type, long streamId, ByteBuf payload) {
        super(payload);
        this.type = Objects.requireNonNull(type, "type");
        this.streamId = streamId;
    }

    public static RelayFrame control(ControlMessage m) {
        return new RelayFrame(FrameType.CONTROL, 0, Unpooled.wrappedBuffer(m.encode()));
    }

    public FrameType type() {
        return type;
    }

    public long streamId() {
        return streamId;
    }

    FrameHeader header() {
        return new FrameHeader(type, 0, streamId, content().readableBytes());
    }

    @Override
    public String toString() {
        return "RelayFrame[" + type + ", stream=" + streamId + ", " + content().readableBytes() + " bytes]";
    }
}
