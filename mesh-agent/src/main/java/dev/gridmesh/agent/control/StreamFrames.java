package dev.gridmesh.agent.control;

import dev.gridmesh.protocol.relay.FrameType;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;

/** Where {@link ControlClient} hands tunnel-stream frames (docs/tunnels.md); called on the connection's event loop. */
public interface StreamFrames {
    /** A stream frame on the registered connection {@code ch}; takes ownership of {@code payload}. */
    void frame(Channel ch, FrameType type, long streamId, ByteBuf payload);
}
