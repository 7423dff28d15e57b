package dev.gridmesh.protocol.stream;

/** Reason codes of STREAM_RESET (u16). Unknown codes decode as {@link #UNKNOWN}. */
public enum ResetCode {
    UNKNOWN(0),
    /** The peer does not serve tunnel streams (version-1 relays send this). */
    UNSUPPORTED(1),
    /** Policy or the agent's local allow-list refused the target. */
    DENIED(2),
    /** The target node is unknown or not connected. */
    NO_SUCH_NODE(3),
    /** The agent could not connect to the local port. */
    CONNECT_FAILED(4),
    /** The peer sent more than its window allowed. */
    FLOW_CONTROL(5),
    /** A malformed or out-of-order stream frame. */
    PROTOCOL(6),
    /** Too many streams open on the connection. */
    TOO_MANY_STREAMS(7),
    /** The other end of a joined stream went away (connection lost, agent reconnected, client gone). */
    PEER_GONE(8),
    /** Not accepted in time. */
    TIMEOUT(9),
    /** Cancelled by the local user. */
    CANCELLED(10),
    /** Shutting down. */
    SHUTDOWN(11);

    private final int code;

    ResetCode(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }

    public static ResetCode of(int code) {
        for (ResetCode c : values()) {
            if (c.code == code) {
                return c;
            }
        }
        return UNKNOWN;
    }
}
