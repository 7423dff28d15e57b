package dev.gridmesh.nat.demux;

import java.nio.ByteBuffer;

/**
 * Classifies a datagram received on the agent's shared UDP socket by its first bytes. A pure function: it looks at
 * the buffer from its position without moving it, allocates nothing, and is safe from any thread.
 *
 * <pre>
 * WireGuard (whitepaper section 5.4)     STUN (RFC 8489 section 5)          disco (ours)
 * +------+-----------------+            +--+----------+--------+          +-------------------------+
 * | type | reserved 0 0 0  | ...        |00| type|len | 2112A442 | ...    | 'G' 'M' F0 9F 92 AC | ...
 * +------+-----------------+            +--+----------+--------+          +-------------------------+
 *  1..4    3 zero bytes                 top 2 bits 0, length = size-20     6-byte magic ("GM" + U+1F4AC)
 * </pre>
 *
 * <p>The three cannot be confused: disco's first byte 0x47 is neither a WireGuard type nor allowed as STUN's first
 * byte (top bits 01); a WireGuard message has length bytes 0x0000 at offset 2, so as STUN it would be a bare 20-byte
 * header, shorter than any WireGuard message (at least 32 bytes). STUN is checked first.
 */
public final class DatagramDemux {
    /** The prefix of every disco packet. */
    private static final byte[] MAGIC = {'G', 'M', (byte) 0xF0, (byte) 0x9F, (byte) 0x92, (byte) 0xAC};
    public static final int DISCO_MAGIC_LENGTH = MAGIC.length;
    /** Smallest WireGuard message: a transport keepalive (16-byte header + 16-byte tag). */
    public static final int WIREGUARD_MIN_LENGTH = 32;
    private static final int STUN_COOKIE = 0x2112A442;

    private DatagramDemux() {}

    /** A copy of the disco magic prefix. */
    public static byte[] discoMagic() {
        return MAGIC.clone();
    }

    /** Writes the disco magic at {@code out}'s position and advances it. */
    public static void putDiscoMagic(ByteBuffer out) {
        out.put(MAGIC);
    }

    public static DatagramKind classify(ByteBuffer datagram) {
        int p = datagram.position();
        int n = datagram.remaining();
        if (n >= 20 && (datagram.get(p) & 0xC0) == 0 && datagram.getInt(p + 4) == STUN_COOKIE
                && (datagram.getShort(p + 2) & 0xFFFF) == n - 20) {
            return DatagramKind.STUN;
        }
        if (n >= WIREGUARD_MIN_LENGTH) {
            int first = datagram.getInt(p);
            int type = first >>> 24;
            if (type >= 1 && type <= 4 && (first & 0x00FFFFFF) == 0) {
                return DatagramKind.WIREGUARD;
            }
        }
        if (n >= MAGIC.length) {
            for (int i = 0; i < MAGIC.length; i++) {
                if (datagram.get(p + i) != MAGIC[i]) {
                    return DatagramKind.UNKNOWN;
                }
            }
            return DatagramKind.DISCO;
        }
        return DatagramKind.UNKNOWN;
    }

    /** Classifies {@code length} bytes of {@code bytes} from {@code offset}. */
    public static DatagramKind classify(byte[] bytes, int offset, int length) {
        return classify(ByteBuffer.wrap(bytes, offset, length));
    }
}
