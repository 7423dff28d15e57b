package dev.gridmesh.nat.stun;

import dev.gridmesh.nat.stun.StunAttribute.ChangeRequest;
import dev.gridmesh.nat.stun.StunAttribute.ErrorCode;
import dev.gridmesh.nat.stun.StunAttribute.Fingerprint;
import dev.gridmesh.nat.stun.StunAttribute.MappedAddress;
import dev.gridmesh.nat.stun.StunAttribute.OtherAddress;
import dev.gridmesh.nat.stun.StunAttribute.Raw;
import dev.gridmesh.nat.stun.StunAttribute.ResponseOrigin;
import dev.gridmesh.nat.stun.StunAttribute.Software;
import dev.gridmesh.nat.stun.StunAttribute.UnknownAttributes;
import dev.gridmesh.nat.stun.StunAttribute.XorMappedAddress;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.BufferOverflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32;

/**
 * STUN message codec, RFC 8489 section 5 (header), 14 (attributes), 14.7 (FINGERPRINT); RFC 5780 section 7
 * (CHANGE-REQUEST, RESPONSE-ORIGIN, OTHER-ADDRESS).
 *
 * <pre>
 * Header (20 bytes), then attributes:
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |0 0|     STUN Message Type     |         Message Length        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                   Magic Cookie (0x2112A442)                   |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                                                               |
 * |                  Transaction ID (96 bits)                     |
 * |                                                               |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Message Type (14 bits): method M11..M0 interleaved with class C1 C0
 *   13 12 11 10  9  8  7  6  5  4  3  2  1  0
 *  +--+--+--+--+--+--+--+--+--+--+--+--+--+--+
 *  |M |M |M |M |M |C |M |M |M |C |M |M |M |M |
 *  |11|10|9 |8 |7 |1 |6 |5 |4 |0 |3 |2 |1 |0 |
 *  +--+--+--+--+--+--+--+--+--+--+--+--+--+--+
 * Message Length: bytes after the header; a multiple of 4.
 *
 * Attribute (TLV; value padded with zeros to a multiple of 4, Length excludes the padding):
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |         Type                  |            Length             |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                         Value (variable)                ....
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * (XOR-)MAPPED-ADDRESS, RESPONSE-ORIGIN, OTHER-ADDRESS value:
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |0 0 0 0 0 0 0 0|    Family     |         (X-)Port              |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |            (X-)Address (32 bits IPv4 / 128 bits IPv6)         |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * Family 0x01 = IPv4, 0x02 = IPv6. XOR form: X-Port = port ^ 0x2112; X-Address = address ^ (cookie || transaction id).
 *
 * ERROR-CODE value: 21 zero bits, Class (3 bits, 3..6), Number (8 bits, 0..99), then a UTF-8 reason phrase.
 * UNKNOWN-ATTRIBUTES value: a list of 16-bit attribute types.
 * CHANGE-REQUEST value: 32 bits, A (change IP) = 0x4, B (change port) = 0x2.
 * FINGERPRINT value: CRC-32 (ITU V.42) of the message up to the attribute, XOR 0x5354554e; Length in the header
 *   already counts the FINGERPRINT attribute when the CRC is computed. It is always the last attribute.
 * </pre>
 *
 * <p>Decoding never throws: every malformed input yields {@link StunDecoded.Err}. Stateless and thread-safe.
 */
public final class StunCodec {
    public static final int MAGIC_COOKIE = 0x2112A442;
    public static final int HEADER_LENGTH = 20;
    public static final int FINGERPRINT_XOR = 0x5354554e;
    /** Largest message this codebase builds or accepts; well under every path MTU (RFC 8489 section 6.1: 576 for IPv4). */
    public static final int MAX_MESSAGE = 548;

    private static final int FAMILY_IPV4 = 0x01;
    private static final int FAMILY_IPV6 = 0x02;
    private static final int FINGERPRINT_ATTR_LENGTH = 8;

    private StunCodec() {}

    /**
     * Quick check used by demultiplexers: top two bits zero, length a multiple of 4, magic cookie at offset 4.
     * Looks at {@code buf} from its position without moving it.
     */
    public static boolean looksLikeStun(ByteBuffer buf) {
        int p = buf.position();
        if (buf.remaining() < HEADER_LENGTH) {
            return false;
        }
        return (buf.get(p) & 0xC0) == 0 && (buf.get(p + 3) & 3) == 0 && buf.getInt(p + 4) == MAGIC_COOKIE;
    }

    /** Decodes the bytes from position to limit; the buffer's position is left unchanged. Never throws. */
    public static StunDecoded decode(ByteBuffer in) {
        ByteBuffer buf = in.duplicate();
        int start = buf.position();
        int total = buf.remaining();
        if (total < HEADER_LENGTH) {
            return err(StunDecodeError.NOT_STUN, "%d bytes, shorter than a STUN header", total);
        }
        int type = buf.getShort(start) & 0xFFFF;
        if ((type & 0xC000) != 0) {
            return err(StunDecodeError.NOT_STUN, "top two bits set (first byte 0x%02x)", type >> 8);
        }
        int cookie = buf.getInt(start + 4);
        if (cookie != MAGIC_COOKIE) {
            return err(StunDecodeError.NOT_STUN, "magic cookie 0x%08x (expected: 0x2112a442)", cookie);
        }
        int length = buf.getShort(start + 2) & 0xFFFF;
        if ((length & 3) != 0) {
            return err(StunDecodeError.BAD_LENGTH, "length %d not a multiple of 4", length);
        }
        if (length != total - HEADER_LENGTH) {
            return err(StunDecodeError.BAD_LENGTH, "length %d but %d bytes follow the header", length, total - HEADER_LENGTH);
        }
        StunClass cls = StunClass.ofBits(((type >> 7) & 2) | ((type >> 4) & 1));
        int method = (type & 0x000F) | ((type >> 1) & 0x0070) | ((type >> 2) & 0x0F80);
        buf.position(start + 8);
        TransactionId tx = TransactionId.read(buf);

        List<StunAttribute> attrs = new ArrayList<>(4);
        int end = start + total;
        int p = start + HEADER_LENGTH;
        while (p < end) {
            if (end - p < 4) {
                return err(StunDecodeError.TRUNCATED_ATTRIBUTE, "%d stray bytes at offset %d", end - p, p - start);
            }
            int atype = buf.getShort(p) & 0xFFFF;
            int alen = buf.getShort(p + 2) & 0xFFFF;
            int valueAt = p + 4;
            int padded = (alen + 3) & ~3;
            if (padded > end - valueAt) {
                return err(StunDecodeError.TRUNCATED_ATTRIBUTE, "attribute 0x%04x length %d runs past the end", atype, alen);
            }
            if (atype == StunAttributeType.FINGERPRINT) {
                if (alen != 4) {
                    return err(StunDecodeError.BAD_FINGERPRINT, "FINGERPRINT length %d (expected: 4)", alen);
                }
                if (valueAt + 4 != end) {
                    return err(StunDecodeError.BAD_FINGERPRINT, "FINGERPRINT is not the last attribute");
                }
                int want = crc(buf, start, p - start) ^ FINGERPRINT_XOR;
                int got = buf.getInt(valueAt);
                if (want != got) {
                    return err(StunDecodeError.BAD_FINGERPRINT, "FINGERPRINT 0x%08x (expected: 0x%08x)", got, want);
                }
                attrs.add(new Fingerprint(got));
                break;
            }
            StunAttribute a = parseAttribute(atype, buf, valueAt, alen, tx);
            if (a == null) {
                return err(StunDecodeError.BAD_ATTRIBUTE, "attribute 0x%04x: malformed value of %d bytes", atype, alen);
            }
            attrs.add(a);
            p = valueAt + padded;
        }
        return new StunDecoded.Ok(new StunMessage(cls, method, tx, attrs));
    }

    /** The one parse switch. Returns null when the value is malformed. */
    private static StunAttribute parseAttribute(int type, ByteBuffer buf, int at, int len, TransactionId tx) {
        return switch (type) {
            case StunAttributeType.MAPPED_ADDRESS -> {
                InetSocketAddress a = readAddress(buf, at, len, null);
                yield a == null ? null : new MappedAddress(a);
            }
            case StunAttributeType.XOR_MAPPED_ADDRESS -> {
                InetSocketAddress a = readAddress(buf, at, len, tx);
                yield a == null ? null : new XorMappedAddress(a);
            }
            case StunAttributeType.RESPONSE_ORIGIN -> {
                InetSocketAddress a = readAddress(buf, at, len, null);
                yield a == null ? null : new ResponseOrigin(a);
            }
            case StunAttributeType.OTHER_ADDRESS -> {
                InetSocketAddress a = readAddress(buf, at, len, null);
                yield a == null ? null : new OtherAddress(a);
            }
            case StunAttributeType.CHANGE_REQUEST -> {
                if (len != 4) {
                    yield null;
                }
                int flags = buf.getInt(at);
                yield new ChangeRequest((flags & 4) != 0, (flags & 2) != 0);
            }
            case StunAttributeType.SOFTWARE -> new Software(utf8(buf, at, len));
            case StunAttributeType.ERROR_CODE -> {
                if (len < 4) {
                    yield null;
                }
                int w = buf.getInt(at);
                int cls = (w >> 8) & 7;
                int num = w & 0xFF;
                if ((w >>> 11) != 0 || cls < 3 || cls > 6 || num > 99) {
                    yield null;
                }
                yield new ErrorCode(cls * 100 + num, utf8(buf, at + 4, len - 4));
            }
            case StunAttributeType.UNKNOWN_ATTRIBUTES -> {
                if ((len & 1) != 0) {
                    yield null;
                }
                List<Integer> types = new ArrayList<>(len / 2);
                for (int i = 0; i < len; i += 2) {
                    types.add(buf.getShort(at + i) & 0xFFFF);
                }
                yield new UnknownAttributes(types);
            }
            default -> {
                byte[] v = new byte[len];
                buf.get(at, v);
                yield new Raw(type, v);
            }
        };
    }

    private static InetSocketAddress readAddress(ByteBuffer buf, int at, int len, TransactionId xor) {
        if (len < 4 || buf.get(at) != 0) {
            return null;
        }
        int family = buf.get(at + 1);
        int port = buf.getShort(at + 2) & 0xFFFF;
        byte[] addr;
        if (family == FAMILY_IPV4 && len == 8) {
            addr = new byte[4];
        } else if (family == FAMILY_IPV6 && len == 20) {
            addr = new byte[16];
        } else {
            return null;
        }
        buf.get(at + 4, addr);
        if (xor != null) {
            port ^= MAGIC_COOKIE >>> 16;
            xorAddress(addr, xor);
        }
        return new InetSocketAddress(toInetAddress(addr), port);
    }

    /** Keeps an IPv6 address (even an IPv4-mapped one) as {@link Inet6Address}, so it re-encodes with family 0x02. */
    private static InetAddress toInetAddress(byte[] addr) {
        try {
            return addr.length == 4 ? InetAddress.getByAddress(addr) : Inet6Address.getByAddress(null, addr, -1);
        } catch (UnknownHostException e) {
            throw new AssertionError("4 or 16 bytes are always an address", e);
        }
    }

    private static void xorAddress(byte[] addr, TransactionId tx) {
        ByteBuffer key = ByteBuffer.allocate(16).putInt(MAGIC_COOKIE);
        tx.write(key);
        for (int i = 0; i < addr.length; i++) {
            addr[i] ^= key.get(i);
        }
    }

    private static String utf8(ByteBuffer buf, int at, int len) {
        byte[] b = new byte[len];
        buf.get(at, b);
        return new String(b, StandardCharsets.UTF_8);
    }

    private static int crc(ByteBuffer buf, int from, int len) {
        CRC32 crc = new CRC32();
        ByteBuffer slice = buf.duplicate();
        slice.limit(from + len).position(from);
        crc.update(slice);
        return (int) crc.getValue();
    }

    private static StunDecoded err(StunDecodeError reason, String format, Object... args) {
        return new StunDecoded.Err(reason, args.length == 0 ? format : format.formatted(args));
    }

    /**
     * Encodes {@code msg} at {@code out}'s position and advances it. A {@link Fingerprint} attribute, which must be
     * last, is computed here. Returns the number of bytes written.
     *
     * @throws IllegalArgumentException if the message cannot be encoded (value too long, FINGERPRINT not last) or does
     *     not fit in {@code out}
     */
    public static int encode(StunMessage msg, ByteBuffer out) {
        int start = out.position();
        try {
            int type = typeBits(msg.messageClass(), msg.method());
            out.putShort((short) type).putShort((short) 0).putInt(MAGIC_COOKIE);
            msg.transactionId().write(out);
            List<StunAttribute> attrs = msg.attributes();
            for (int i = 0; i < attrs.size(); i++) {
                StunAttribute a = attrs.get(i);
                if (a instanceof Fingerprint) {
                    if (i != attrs.size() - 1) {
                        throw new IllegalArgumentException("FINGERPRINT must be the last attribute");
                    }
                    int len = out.position() - start - HEADER_LENGTH + FINGERPRINT_ATTR_LENGTH;
                    out.putShort(start + 2, (short) len);
                    int crc = crc(out, start, out.position() - start) ^ FINGERPRINT_XOR;
                    out.putShort((short) StunAttributeType.FINGERPRINT).putShort((short) 4).putInt(crc);
                } else {
                    writeAttribute(a, out, msg.transactionId());
                }
            }
            int length = out.position() - start - HEADER_LENGTH;
            if (length > 0xFFFF) {
                throw new IllegalArgumentException("message too long: " + length);
            }
            out.putShort(start + 2, (short) length);
            return out.position() - start;
        } catch (BufferOverflowException e) {
            out.position(start);
            throw new IllegalArgumentException("message does not fit in " + (out.limit() - start) + " bytes", e);
        }
    }

    /** Encodes into a new array of the exact size. */
    public static byte[] encode(StunMessage msg) {
        ByteBuffer b = ByteBuffer.allocate(0x10000 + HEADER_LENGTH);
        int n = encode(msg, b);
        byte[] out = new byte[n];
        b.get(0, out);
        return out;
    }

    static int typeBits(StunClass cls, int method) {
        int c = cls.bits();
        return (method & 0x000F) | ((c & 1) << 4) | ((method & 0x0070) << 1) | ((c & 2) << 7) | ((method & 0x0F80) << 2);
    }

    private static void writeAttribute(StunAttribute a, ByteBuffer out, TransactionId tx) {
        int headerAt = out.position();
        out.putShort((short) a.type()).putShort((short) 0);
        switch (a) {
            case MappedAddress m -> writeAddress(out, m.address(), null);
            case XorMappedAddress x -> writeAddress(out, x.address(), tx);
            case ResponseOrigin r -> writeAddress(out, r.address(), null);
            case OtherAddress o -> writeAddress(out, o.address(), null);
            case ChangeRequest c -> out.putInt((c.changeIp() ? 4 : 0) | (c.changePort() ? 2 : 0));
            case Software s -> out.put(checkedUtf8(s.description(), 763, "SOFTWARE"));
            case ErrorCode e -> {
                out.putInt(((e.code() / 100) << 8) | (e.code() % 100));
                out.put(checkedUtf8(e.reason(), 763, "ERROR-CODE reason"));
            }
            case UnknownAttributes u -> u.types().forEach(t -> out.putShort((short) (int) t));
            case Raw r -> out.put(r.value());
            case Fingerprint f -> throw new AssertionError("handled by encode");
        }
        int len = out.position() - headerAt - 4;
        if (len > 0xFFFF) {
            throw new IllegalArgumentException("attribute 0x%04x too long: %d".formatted(a.type(), len));
        }
        out.putShort(headerAt + 2, (short) len);
        while ((out.position() & 3) != (headerAt & 3)) {
            out.put((byte) 0);
        }
    }

    private static byte[] checkedUtf8(String s, int max, String what) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        if (b.length > max) {
            throw new IllegalArgumentException(what + ": " + b.length + " bytes (expected: <= " + max + ")");
        }
        return b;
    }

    private static void writeAddress(ByteBuffer out, InetSocketAddress address, TransactionId xor) {
        InetAddress ip = address.getAddress();
        if (ip == null) {
            throw new IllegalArgumentException("unresolved address: " + address);
        }
        byte[] addr = ip.getAddress();
        int port = address.getPort();
        if (xor != null) {
            port ^= MAGIC_COOKIE >>> 16;
            xorAddress(addr, xor);
        }
        out.put((byte) 0).put((byte) (ip instanceof Inet4Address ? FAMILY_IPV4 : FAMILY_IPV6)).putShort((short) port).put(addr);
    }
}
