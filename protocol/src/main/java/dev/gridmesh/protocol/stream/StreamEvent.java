package dev.gridmesh.protocol.stream;

/**
 * What a {@link StreamMux} reports to its caller ({@link StreamMux#pollEvent}).
 *
 * @param <B> the buffer type
 */
public sealed interface StreamEvent<B> {
    long id();

    /** The peer opened stream {@code id} to {@code target}: answer with {@link StreamMux#accept} or {@link StreamMux#reset}. */
    record Opened<B>(long id, StreamTarget target) implements StreamEvent<B> {}

    /** The peer accepted the stream we opened; queued bytes start to flow. */
    record Accepted<B>(long id) implements StreamEvent<B> {}

    /**
     * Bytes of stream {@code id}, now owned by the caller. Report them with {@link StreamMux#consumed} once they have
     * left this process (written and flushed), which returns credit to the peer.
     */
    record Data<B>(long id, B bytes) implements StreamEvent<B> {}

    /** The peer sends no more bytes on {@code id} (half-close); the other direction stays open. */
    record Eof<B>(long id) implements StreamEvent<B> {}

    /** The stream's send queue fell below the low mark after {@link StreamMux#send} returned false: read more. */
    record Writable<B>(long id) implements StreamEvent<B> {}

    /**
     * The stream is gone: both directions closed cleanly ({@code code == null}) or reset by either side.
     *
     * @param byPeer whether the peer sent the reset
     * @param bytesSent stream bytes handed to the peer; {@code bytesReceived} bytes received from it
     */
    record Closed<B>(long id, ResetCode code, String reason, boolean byPeer, long bytesSent, long bytesReceived)
            implements StreamEvent<B> {
        public boolean clean() {
            return code == null;
        }
    }
}
