package dev.gridmesh.protocol.stream;

import dev.gridmesh.protocol.relay.FrameType;

/**
 * A frame a {@link StreamMux} wants sent ({@link StreamMux#pollTransmit}); the caller adds the frame header.
 *
 * @param <B> the buffer type
 */
public sealed interface Transmit<B> {
    long id();

    /** A small frame (STREAM_OPEN, STREAM_WINDOW_UPDATE, STREAM_HALF_CLOSE, STREAM_RESET) with its payload. */
    record Frame<B>(FrameType type, long id, byte[] payload) implements Transmit<B> {}

    /** A STREAM_DATA frame; the caller now owns {@code bytes}. */
    record Data<B>(long id, B bytes) implements Transmit<B> {}
}
