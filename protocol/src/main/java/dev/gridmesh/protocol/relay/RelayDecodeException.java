package dev.gridmesh.protocol.relay;

import java.util.Objects;

/**
 * Bytes from the network that do not form a valid frame or message. The only exception the relay codecs throw
 * for bad input; {@link #reason()} is meant to be counted.
 */
public final class RelayDecodeException extends Exception {
    /** Why decoding failed. */
    public enum Reason {
        /** Fewer bytes than a field needs. */
        TRUNCATED,
        /** Bytes left over after a complete message. */
        TRAILING_BYTES,
        /** Frame version byte is not {@link Frames#VERSION}. */
        BAD_VERSION,
        /** Frame type not defined by this version. */
        UNKNOWN_FRAME_TYPE,
        /** Control message type not defined by this version. */
        UNKNOWN_MESSAGE,
        /** Frame payload length above the maximum. */
        FRAME_TOO_LARGE,
        /** A field with an impossible value (flags, lengths, counts, prefix bits, address sizes, UTF-8). */
        BAD_FIELD,
    }

    private final Reason reason;

    public RelayDecodeException(Reason reason, String detail) {
        super(reason + ": " + detail, null, false, false);
        this.reason = Objects.requireNonNull(reason, "reason");
    }

    public Reason reason() {
        return reason;
    }
}
