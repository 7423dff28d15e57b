package dev.gridmesh.protocol.stream;

/** Why a stream frame from the peer was refused; counted per mux, never thrown. */
public enum StreamDrop {
    /** DATA beyond the stream's receive window (the stream is reset with FLOW_CONTROL). */
    FLOW_CONTROL,
    /** DATA, HALF_CLOSE or WINDOW_UPDATE for a stream that is not open (late after a reset, or never opened). */
    UNKNOWN_STREAM,
    /** A payload of the wrong size or content (the stream is reset with PROTOCOL). */
    BAD_PAYLOAD,
    /** STREAM_OPEN with an id the peer may not use (wrong parity, reused, or not increasing). */
    BAD_STREAM_ID,
    /** STREAM_OPEN beyond the connection's stream limit (reset with TOO_MANY_STREAMS). */
    TOO_MANY_STREAMS,
    /** DATA or HALF_CLOSE after the peer's HALF_CLOSE (reset with PROTOCOL). */
    DATA_AFTER_EOF,
    /** An acceptance for a stream that was not waiting for one. */
    UNEXPECTED_ACCEPT,
    /** A window increment that overflows 2^31-1 (reset with FLOW_CONTROL). */
    WINDOW_OVERFLOW
}
