package dev.gridmesh.relay.server;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.DefaultByteBufHolder;

/**
 * {@code count} (>= 2) PACKET frames, headers included, back to back in one buffer, all to the same destination key,
 * as {@link RelayFrameDecoder} found them in one read (see there). The session handler rewrites each frame's key in
 * place and forwards the buffer as one write.
 * <pre>
 *   | hdr(12) | key(32) | datagram | hdr(12) | key(32) | datagram | ...   (count frames)
 * </pre>
 */
final class PacketRun extends DefaultByteBufHolder {
    private final int count;

    PacketRun(ByteBuf wire, int count) {
        super(wire);
        this.count = count;
    }

    int count() {
        return count;
    }

    @Override
    public String toString() {
        return "PacketRun[" + count + " frames, " + content().readableBytes() + " bytes]";
    }
}
