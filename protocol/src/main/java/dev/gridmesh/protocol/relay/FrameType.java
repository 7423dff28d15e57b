package dev.gridmesh.protocol.relay;

/**
 * The frame types of protocol version 1. Codes 0x10..0x14 are reserved for tunnel streams (next issue): they are
 * defined and parse, but a version-1 relay does not act on them yet.
 */
public enum FrameType {
    /** Stream 0. Payload: one {@link ControlMessage}. */
    CONTROL(0x01),
    /**
     * Stream 0. Payload: node key (32) followed by one WireGuard message (ciphertext). Agent to relay: the
     * destination's key; relay to agent: the source's key.
     */
    PACKET(0x02),
    /** Opens stream {@code streamId}; payload: target (format defined with tunnel streams). */
    STREAM_OPEN(0x10),
    /** Bytes of stream {@code streamId}; counts against the receiver's window. */
    STREAM_DATA(0x11),
    /** Payload: u32 window increment in bytes for stream {@code streamId}. */
    STREAM_WINDOW_UPDATE(0x12),
    /** The sender will send no more data on the stream (half-close); empty payload. */
    STREAM_HALF_CLOSE(0x13),
    /** Aborts the stream at once; payload: u16 reason code. */
    STREAM_RESET(0x14);

    private final int code;

    FrameType(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }

    public boolean isStream() {
        return code >= 0x10;
    }

    /** The type for {@code code}, or null when this version does not define it. */
    public static FrameType of(int code) {
        return switch (code) {
            case 0x01 -> CONTROL;
            case 0x02 -> PACKET;
            case 0x10 -> STREAM_OPEN;
            case 0x11 -> STREAM_DATA;
            case 0x12 -> STREAM_WINDOW_UPDATE;
            case 0x13 -> STREAM_HALF_CLOSE;
            case 0x14 -> STREAM_RESET;
            default -> null;
        };
    }
}
