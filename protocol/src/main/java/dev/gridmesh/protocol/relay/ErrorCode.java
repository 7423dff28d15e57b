package dev.gridmesh.protocol.relay;

/**
 * Codes of the {@link ControlMessage.Error} message. The relay closes the connection after sending any of them
 * except {@link #STREAM_UNSUPPORTED}. Unknown codes decode as {@link #UNKNOWN} so that newer relays can add codes.
 */
public enum ErrorCode {
    UNKNOWN(0),
    /** Not a valid frame or message (the text says which field). */
    PROTOCOL(1),
    /** A frame other than Register before authentication. */
    NOT_AUTHENTICATED(2),
    /** Join token unknown (or revoked). */
    TOKEN_INVALID(3),
    /** Join token past its expiry. */
    TOKEN_EXPIRED(4),
    /** One-off join token already used. */
    TOKEN_USED_UP(5),
    /** No token given and the node key is not registered. */
    UNKNOWN_NODE(6),
    /** Proof of key possession does not verify (forged node key, or a registration replayed from another connection). */
    AUTH_FAILED(7),
    /** A second Register on an authenticated connection. */
    ALREADY_REGISTERED(8),
    /** The node was removed by an administrator. */
    NODE_REMOVED(9),
    /** A newer connection authenticated with the same node key. */
    REPLACED(10),
    /** No frame from the agent for the dead interval. */
    IDLE_TIMEOUT(11),
    /** The agent did not read fast enough; its outbound queue overflowed. */
    SLOW_CONSUMER(12),
    /** Frame too large for this relay. */
    FRAME_TOO_LARGE(13),
    /** Tunnel stream frames are not served by this relay version (connection stays open). */
    STREAM_UNSUPPORTED(14),
    /** Overlay address range exhausted. */
    ADDRESS_EXHAUSTED(15),
    /** The relay failed (store error); try again later. */
    INTERNAL(16),
    /** The relay is shutting down. */
    SHUTTING_DOWN(17);

    private final int code;

    ErrorCode(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }

    public static ErrorCode of(int code) {
        for (ErrorCode c : values()) {
            if (c.code == code) {
                return c;
            }
        }
        return UNKNOWN;
    }
}
