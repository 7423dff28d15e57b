package dev.gridmesh.protocol.netty;

import dev.gridmesh.protocol.stream.BufferOps;
import io.netty.buffer.ByteBuf;

/** {@link BufferOps} over Netty buffers: slices, never copies. */
public final class ByteBufOps implements BufferOps<ByteBuf> {
    public static final ByteBufOps INSTANCE = new ByteBufOps();

    private ByteBufOps() {}

    @Override
    public int length(ByteBuf b) {
        return b.readableBytes();
    }

    @Override
    public ByteBuf take(ByteBuf b, int n) {
        return b.readRetainedSlice(n);
    }

    @Override
    public void release(ByteBuf b) {
        b.release();
    }
}
