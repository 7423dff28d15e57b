package dev.gridmesh.relay.server;

import dev.gridmesh.protocol.relay.ErrorCode;

/**
 * What the relay counts. Refusals close the connection (with an Error message when the frame layer is up);
 * drops discard one frame and keep the connection; the rest are plain event counts.
 */
public enum RelayCounter {
    // events
    CONNECTIONS_ACCEPTED(Kind.EVENT, null),
    UPGRADES(Kind.EVENT, null),
    HEALTH_CHECKS(Kind.EVENT, null),
    NODES_ADMITTED(Kind.EVENT, null),
    NODES_AUTHENTICATED(Kind.EVENT, null),
    PACKETS_RELAYED(Kind.EVENT, null),
    BYTES_RELAYED(Kind.EVENT, null),
    // refusals: connection closed
    PRE_AUTH_LIMIT(Kind.REFUSAL, null),
    TLS_HANDSHAKE_FAILED(Kind.REFUSAL, null),
    TLS_HANDSHAKE_TIMEOUT(Kind.REFUSAL, null),
    HTTP_BAD_REQUEST(Kind.REFUSAL, null),
    HTTP_TIMEOUT(Kind.REFUSAL, null),
    FRAME_BAD_VERSION(Kind.REFUSAL, ErrorCode.PROTOCOL),
    FRAME_UNKNOWN_TYPE(Kind.REFUSAL, ErrorCode.PROTOCOL),
    FRAME_TOO_LARGE(Kind.REFUSAL, ErrorCode.FRAME_TOO_LARGE),
    FRAME_MALFORMED(Kind.REFUSAL, ErrorCode.PROTOCOL),
    FRAME_BEFORE_AUTH(Kind.REFUSAL, ErrorCode.NOT_AUTHENTICATED),
    AUTH_TIMEOUT(Kind.REFUSAL, ErrorCode.NOT_AUTHENTICATED),
    REGISTRATION_REPLAYED(Kind.REFUSAL, ErrorCode.ALREADY_REGISTERED),
    AUTH_FAILED(Kind.REFUSAL, ErrorCode.AUTH_FAILED),
    TOKEN_INVALID(Kind.REFUSAL, ErrorCode.TOKEN_INVALID),
    TOKEN_EXPIRED(Kind.REFUSAL, ErrorCode.TOKEN_EXPIRED),
    TOKEN_USED_UP(Kind.REFUSAL, ErrorCode.TOKEN_USED_UP),
    UNKNOWN_NODE(Kind.REFUSAL, ErrorCode.UNKNOWN_NODE),
    ADDRESS_EXHAUSTED(Kind.REFUSAL, ErrorCode.ADDRESS_EXHAUSTED),
    STORE_ERROR(Kind.REFUSAL, ErrorCode.INTERNAL),
    IDLE_TIMEOUT(Kind.REFUSAL, ErrorCode.IDLE_TIMEOUT),
    SLOW_CONSUMER(Kind.REFUSAL, ErrorCode.SLOW_CONSUMER),
    REPLACED(Kind.REFUSAL, ErrorCode.REPLACED),
    NODE_REMOVED(Kind.REFUSAL, ErrorCode.NODE_REMOVED),
    SHUTDOWN(Kind.REFUSAL, ErrorCode.SHUTTING_DOWN),
    PEER_ERROR(Kind.REFUSAL, null),
    CONNECTION_ERROR(Kind.REFUSAL, null),
    // drops: one frame discarded, connection kept
    PACKET_NO_DESTINATION(Kind.DROP, null),
    PACKET_DESTINATION_SLOW(Kind.DROP, null),
    PACKET_TOO_SHORT(Kind.DROP, null),
    STREAM_UNSUPPORTED(Kind.DROP, null),
    UNEXPECTED_MESSAGE(Kind.DROP, null),
    ENDPOINTS_RATE_LIMITED(Kind.DROP, null);

    public enum Kind { EVENT, REFUSAL, DROP }

    private final Kind kind;
    private final ErrorCode errorCode;

    RelayCounter(Kind kind, ErrorCode errorCode) {
        this.kind = kind;
        this.errorCode = errorCode;
    }

    public Kind kind() {
        return kind;
    }

    /** The Error code sent to the agent for a refusal, or null when none is sent (before the frame layer). */
    public ErrorCode errorCode() {
        return errorCode;
    }
}
