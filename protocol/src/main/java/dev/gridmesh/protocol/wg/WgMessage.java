package dev.gridmesh.protocol.wg;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Objects;

/**
 * The four WireGuard messages (whitepaper §5.4.2-§5.4.7; wireguard-go device/noise-protocol.go). All integers are
 * little-endian; the three reserved bytes after the type are zero.
 *
 * <pre>
 * 1 handshake initiation (148 bytes)        2 handshake response (92 bytes)
 *  0       1       2       3       4          0       1       2       3       4
 *  +-------+-------+-------+-------+          +-------+-------+-------+-------+
 *  |   1   |   reserved (0, 0, 0)  |          |   2   |   reserved (0, 0, 0)  |
 *  +-------+-------+-------+-------+          +-------+-------+-------+-------+
 *  |        sender index           |  4       |        sender index           |  4
 *  +-------------------------------+          +-------------------------------+
 *  |   unencrypted ephemeral (32)  |  8       |        receiver index         |  8
 *  +-------------------------------+          +-------------------------------+
 *  | encrypted static (32 + 16)    | 40       |   unencrypted ephemeral (32)  | 12
 *  +-------------------------------+          +-------------------------------+
 *  | encrypted timestamp (12 + 16) | 88       | encrypted nothing (0 + 16)    | 44
 *  +-------------------------------+          +-------------------------------+
 *  |           mac1 (16)           | 116      |           mac1 (16)           | 60
 *  +-------------------------------+          +-------------------------------+
 *  |           mac2 (16)           | 132      |           mac2 (16)           | 76
 *  +-------------------------------+          +-------------------------------+
 *
 * 3 cookie reply (64 bytes)                 4 transport data (16 + n bytes, n >= 16, n % 16 == 0)
 *  +-------+-------+-------+-------+          +-------+-------+-------+-------+
 *  |   3   |   reserved (0, 0, 0)  |          |   4   |   reserved (0, 0, 0)  |
 *  +-------+-------+-------+-------+          +-------+-------+-------+-------+
 *  |        receiver index         |  4       |        receiver index         |  4
 *  +-------------------------------+          +-------------------------------+
 *  |          nonce (24)           |  8       |        counter (8 bytes)      |  8
 *  +-------------------------------+          +-------------------------------+
 *  | encrypted cookie (16 + 16)    | 32       | encrypted packet (padded to 16) + tag (16) | 16
 *  +-------------------------------+          +--------------------------------------------+
 * </pre>
 *
 * Handshake, cookie and header records are for the handshake path and for tests; the data path reads transport
 * headers in place with {@link #peekType} and little-endian reads of the header fields.
 */
public sealed interface WgMessage {
    int TYPE_INITIATION = 1;
    int TYPE_RESPONSE = 2;
    int TYPE_COOKIE_REPLY = 3;
    int TYPE_TRANSPORT = 4;
    int INITIATION_LEN = 148;
    int RESPONSE_LEN = 92;
    int COOKIE_REPLY_LEN = 64;
    int TRANSPORT_HEADER_LEN = 16;
    int TAG_LEN = 16;
    /** Smallest transport message: header and the tag of an empty (keepalive) packet. */
    int TRANSPORT_MIN_LEN = TRANSPORT_HEADER_LEN + TAG_LEN;
    /** Largest datagram we accept: a 65535-byte IP packet padded, plus overhead. */
    int MAX_DATAGRAM_LEN = 65535 + 15 + TRANSPORT_MIN_LEN;

    /** Serialises into a new array. */
    byte[] encode();

    record Initiation(int sender, byte[] ephemeral, byte[] encryptedStatic, byte[] encryptedTimestamp, byte[] mac1,
            byte[] mac2) implements WgMessage {
        public Initiation {
            check(ephemeral, 32, "ephemeral");
            check(encryptedStatic, 48, "encryptedStatic");
            check(encryptedTimestamp, 28, "encryptedTimestamp");
            check(mac1, 16, "mac1");
            check(mac2, 16, "mac2");
        }

        @Override
        public byte[] encode() {
            ByteBuffer b = ByteBuffer.allocate(INITIATION_LEN).order(ByteOrder.LITTLE_ENDIAN);
            b.putInt(TYPE_INITIATION).putInt(sender).put(ephemeral).put(encryptedStatic).put(encryptedTimestamp)
                    .put(mac1).put(mac2);
            return b.array();
        }
    }

    record Response(int sender, int receiver, byte[] ephemeral, byte[] encryptedNothing, byte[] mac1, byte[] mac2)
            implements WgMessage {
        public Response {
            check(ephemeral, 32, "ephemeral");
            check(encryptedNothing, 16, "encryptedNothing");
            check(mac1, 16, "mac1");
            check(mac2, 16, "mac2");
        }

        @Override
        public byte[] encode() {
            ByteBuffer b = ByteBuffer.allocate(RESPONSE_LEN).order(ByteOrder.LITTLE_ENDIAN);
            b.putInt(TYPE_RESPONSE).putInt(sender).putInt(receiver).put(ephemeral).put(encryptedNothing).put(mac1)
                    .put(mac2);
            return b.array();
        }
    }

    record CookieReply(int receiver, byte[] nonce, byte[] encryptedCookie) implements WgMessage {
        public CookieReply {
            check(nonce, 24, "nonce");
            check(encryptedCookie, 32, "encryptedCookie");
        }

        @Override
        public byte[] encode() {
            ByteBuffer b = ByteBuffer.allocate(COOKIE_REPLY_LEN).order(ByteOrder.LITTLE_ENDIAN);
            b.putInt(TYPE_COOKIE_REPLY).putInt(receiver).put(nonce).put(encryptedCookie);
            return b.array();
        }
    }

    /** A transport message: header fields and the encrypted packet with its tag. */
    record Transport(int receiver, long counter, byte[] encryptedPacket) implements WgMessage {
        public Transport {
            Objects.requireNonNull(encryptedPacket, "encryptedPacket");
            if (encryptedPacket.length < TAG_LEN) {
                throw new IllegalArgumentException("encryptedPacket: shorter than the tag");
            }
        }

        @Override
        public byte[] encode() {
            ByteBuffer b = ByteBuffer.allocate(TRANSPORT_HEADER_LEN + encryptedPacket.length)
                    .order(ByteOrder.LITTLE_ENDIAN);
            b.putInt(TYPE_TRANSPORT).putInt(receiver).putLong(counter).put(encryptedPacket);
            return b.array();
        }
    }

    /**
     * Why {@code buf[pos..limit)} is not a well-formed message, or null if it is one (then {@link #parse} succeeds).
     * Checks type, reserved bytes and the exact length (transport: minimum length and 16-byte alignment of the
     * ciphertext is not required by other implementations, so only the minimum is checked).
     */
    public static DropReason check(ByteBuffer buf) {
        int len = buf.remaining();
        if (len < 4) {
            return DropReason.TRUNCATED;
        }
        int p = buf.position();
        int type = peekType(buf);
        if (type < 0) {
            return DropReason.UNKNOWN_TYPE;
        }
        return switch (type) {
            case TYPE_INITIATION -> exact(len, INITIATION_LEN);
            case TYPE_RESPONSE -> exact(len, RESPONSE_LEN);
            case TYPE_COOKIE_REPLY -> exact(len, COOKIE_REPLY_LEN);
            case TYPE_TRANSPORT -> len < TRANSPORT_MIN_LEN ? DropReason.TRUNCATED
                    : len > MAX_DATAGRAM_LEN ? DropReason.OVERSIZED : null;
            default -> throw new AssertionError(p);
        };
    }

    /** The message parsed from buf[pos..limit) (not consumed); IllegalArgumentException if {@link #check} fails. */
    public static WgMessage parse(ByteBuffer buf) {
        DropReason bad = check(buf);
        if (bad != null) {
            throw new IllegalArgumentException("not a WireGuard message: " + bad);
        }
        int p = buf.position();
        return switch (peekType(buf)) {
            case TYPE_INITIATION -> new Initiation(LittleEndian.readInt(buf, p + 4), bytes(buf, p + 8, 32), bytes(buf, p + 40, 48),
                    bytes(buf, p + 88, 28), bytes(buf, p + 116, 16), bytes(buf, p + 132, 16));
            case TYPE_RESPONSE -> new Response(LittleEndian.readInt(buf, p + 4), LittleEndian.readInt(buf, p + 8), bytes(buf, p + 12, 32),
                    bytes(buf, p + 44, 16), bytes(buf, p + 60, 16), bytes(buf, p + 76, 16));
            case TYPE_COOKIE_REPLY -> new CookieReply(LittleEndian.readInt(buf, p + 4), bytes(buf, p + 8, 24),
                    bytes(buf, p + 32, 32));
            case TYPE_TRANSPORT -> new Transport(LittleEndian.readInt(buf, p + 4), LittleEndian.readLong(buf, p + 8),
                    bytes(buf, p + 16, buf.remaining() - 16));
            default -> throw new AssertionError();
        };
    }

    public static WgMessage parse(byte[] datagram) {
        return parse(ByteBuffer.wrap(datagram));
    }

    /** The message type 1..4 at buf's position, or -1 if unknown or the reserved bytes are not zero. */
    public static int peekType(ByteBuffer buf) {
        int p = buf.position();
        int word = LittleEndian.readInt(buf, p);
        return word >= TYPE_INITIATION && word <= TYPE_TRANSPORT ? word : -1;
    }

    private static DropReason exact(int len, int expected) {
        return len < expected ? DropReason.TRUNCATED : len > expected ? DropReason.MALFORMED : null;
    }

    private static byte[] bytes(ByteBuffer b, int index, int len) {
        byte[] out = new byte[len];
        b.get(index, out);
        return out;
    }

    private static void check(byte[] field, int len, String name) {
        Objects.requireNonNull(field, name);
        if (field.length != len) {
            throw new IllegalArgumentException(name + ": " + field.length + " bytes (expected: " + len + ")");
        }
    }

    /** Arrays in records compare by identity; tests use this. */
    public static boolean sameBytes(WgMessage a, WgMessage b) {
        return Arrays.equals(a.encode(), b.encode());
    }
}
