package dev.gridmesh.protocol.stream;

/**
 * How {@link StreamMux} handles the caller's byte buffers without knowing their type (Netty {@code ByteBuf} at the
 * edges, {@code ByteBuffer} in tests), so that stream bytes are never copied by the mux.
 *
 * @param <B> the buffer type
 */
public interface BufferOps<B> {
    /** Readable bytes of {@code b}. */
    int length(B b);

    /** Removes the first {@code n} ({@code 0 < n < length(b)}) bytes of {@code b} and returns them as a buffer of their own. */
    B take(B b, int n);

    /** Gives up a buffer the mux owned (stream reset or closed while bytes were queued). */
    void release(B b);
}
