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
    /** Whether the frame's own 12 header bytes lie just before the payload's reader index (see {@link #decoded}). */
    private final boolean headed;

    public RelayFrame(FrameType type, long streamId, ByteBuf payload) {
        this(type, streamId, payload, false);
    }

    private RelayFrame(FrameType type, long streamId, ByteBuf payload, boolean headed) {
        super(payload);
        this.type = Objects.requireNonNull(type, "type");
        this.streamId = streamId;
        this.headed = headed;
    }

    /**
     * A frame as the decoder read it: {@code wire} holds header and payload, its reader index at the payload. The
     * header stays readable through {@link #retainedWire()}, so a frame passed on unchanged (a relayed packet) is
     * written as it came, without a new header buffer.
     */
    static RelayFrame decoded(FrameType type, long streamId, ByteBuf wire) {
        wire.skipBytes(FrameHeader.SIZE);
        return new RelayFrame(type, streamId, wire, true);
    }

    /**
     * Header and payload as one retained buffer, when the header bytes are the decoder's (checked: version, type,
     * flags 0, stream id, length as decoded) and so still what {@link RelayFrameEncoder} would write; else null.
     */
    ByteBuf retainedWire() {
        ByteBuf p = content();
        if (!headed || p.readerIndex() != FrameHeader.SIZE || p.getInt(8) != p.readableBytes()) {
            return null; // the payload was consumed or resized since decoding
        }
        return p.retainedSlice(0, FrameHeader.SIZE + p.readableBytes());
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
