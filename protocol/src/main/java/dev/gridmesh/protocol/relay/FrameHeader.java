package dev.gridmesh.protocol.relay;

import java.nio.ByteBuffer;
import java.util.Objects;

/**
 * The 12-byte header in front of every frame on an agent-relay connection (after the HTTP upgrade).
 * All integers big-endian.
 *
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |  version = 1  |     type      |        flags (must be 0)      |
 * +---------------+---------------+-------------------------------+
 * |                      stream id (u32)                          |
 * +---------------------------------------------------------------+
 * |                    payload length (u32)                       |
 * +---------------------------------------------------------------+
 * |              payload (length bytes, <= max) ...
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * </pre>
 *
 * CONTROL and PACKET frames use stream id 0; stream frames use ids chosen by the opener (non-zero).
 */
public record FrameHeader(FrameType type, int flags, long streamId, int length) {
    public static final int SIZE = 12;

    public FrameHeader {
        Objects.requireNonNull(type, "type");
        if (flags < 0 || flags > 0xffff) {
            throw new IllegalArgumentException("flags " + flags + " (expected: 0..65535)");
        }
        if (streamId < 0 || streamId > 0xffff_ffffL) {
            throw new IllegalArgumentException("stream id " + streamId + " (expected: u32)");
        }
        if (length < 0) {
            throw new IllegalArgumentException("length " + length + " (expected: >= 0)");
        }
    }

    public static FrameHeader of(FrameType type, int length) {
        return new FrameHeader(type, 0, 0, length);
    }

    /**
     * Reads a header from {@code in} (at least {@link #SIZE} bytes remaining, else TRUNCATED and nothing consumed)
     * and checks version, type, flags and {@code length <= maxPayload}.
     */
    public static FrameHeader decode(ByteBuffer in, int maxPayload) throws RelayDecodeException {
        if (in.remaining() < SIZE) {
            throw new RelayDecodeException(RelayDecodeException.Reason.TRUNCATED, "frame header needs " + SIZE + " bytes");
        }
        int p = in.position();
        int version = in.get(p) & 0xff;
        int typeCode = in.get(p + 1) & 0xff;
        int flags = in.getShort(p + 2) & 0xffff;
        long stream = in.getInt(p + 4) & 0xffff_ffffL;
        long length = in.getInt(p + 8) & 0xffff_ffffL;
        if (version != Frames.VERSION) {
            throw new RelayDecodeException(RelayDecodeException.Reason.BAD_VERSION,
                    "frame version " + version + " (expected: " + Frames.VERSION + ")");
        }
        FrameType type = FrameType.of(typeCode);
        if (type == null) {
            throw new RelayDecodeException(RelayDecodeException.Reason.UNKNOWN_FRAME_TYPE,
                    String.format("frame type 0x%02x", typeCode));
        }
        if (length > maxPayload) {
            throw new RelayDecodeException(RelayDecodeException.Reason.FRAME_TOO_LARGE,
                    "payload length " + length + " (expected: <= " + maxPayload + ")");
        }
        if (flags != 0) {
            throw new RelayDecodeException(RelayDecodeException.Reason.BAD_FIELD, "flags " + flags + " (expected: 0)");
        }
        if (type.isStream() == (stream == 0)) {
            throw new RelayDecodeException(RelayDecodeException.Reason.BAD_FIELD,
                    type + " on stream " + stream + (type.isStream() ? " (expected: non-zero)" : " (expected: 0)"));
        }
        in.position(p + SIZE);
        return new FrameHeader(type, flags, stream, (int) length);
    }

    /** Writes the 12 header bytes at {@code out}'s position. */
    public void encode(ByteBuffer out) {
        out.put((byte) Frames.VERSION);
        out.put((byte) type.code());
        out.putShort((short) flags);
        out.putInt((int) streamId);
        out.putInt(length);
    }

    /** Writes the 12 header bytes into {@code dst} at {@code off}. */
    public void encode(byte[] dst, int off) {
        encode(ByteBuffer.wrap(dst, off, SIZE));
    }
}
