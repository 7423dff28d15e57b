package dev.gridmesh.nat.portmap;

import dev.gridmesh.nat.portmap.PcpMessage.AnnounceRequest;
import dev.gridmesh.nat.portmap.PcpMessage.AnnounceResponse;
import dev.gridmesh.nat.portmap.PcpMessage.MapRequest;
import dev.gridmesh.nat.portmap.PcpMessage.MapResponse;
import dev.gridmesh.nat.portmap.PcpMessage.Nonce;
import dev.gridmesh.nat.portmap.PcpMessage.OtherVersion;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;

/**
 * PCP codec, RFC 6887 sections 7.1 (request header), 7.2 (response header), 7.3 (options), 11.1 (MAP).
 * All fields big-endian; IPv4 addresses travel as IPv4-mapped IPv6 ({@code ::ffff:a.b.c.d}).
 *
 * <pre>
 * Request header (24 bytes)
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |  Version = 2  |R|   Opcode    |         Reserved              |   R = 0
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                 Requested Lifetime (32 bits)                  |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |            PCP Client's IP Address (128 bits)                 |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * Response header (24 bytes)
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |  Version = 2  |R|   Opcode    |   Reserved    |  Result Code  |   R = 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                      Lifetime (32 bits)                       |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                     Epoch Time (32 bits)                      |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                      Reserved (96 bits)                       |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * MAP opcode payload, after either header (36 bytes)
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                 Mapping Nonce (96 bits)                       |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |   Protocol    |          Reserved (24 bits)                   |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |        Internal Port          |   Suggested/Assigned Ext Port |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |     Suggested/Assigned External IP Address (128 bits)         |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * Options (after the payload, each padded to 4 bytes; skipped by this decoder, but checked for framing)
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |  Option Code  |  Reserved     |       Option Length           |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * </pre>
 * A response of another version (a NAT-PMP server says version 0) decodes as {@link OtherVersion} when at least the
 * first 4 bytes are there; the result code sits in byte 3 in both protocols.
 */
public final class PcpCodec {
    public static final int VERSION = 2;
    public static final int SERVER_PORT = 5351;
    /** Section 7: messages are at most 1100 bytes. */
    public static final int MAX_LENGTH = 1100;
    public static final int OPCODE_ANNOUNCE = 0;
    public static final int OPCODE_MAP = 1;
    private static final int HEADER = 24;
    private static final int MAP_PAYLOAD = 36;

    private PcpCodec() {}

    public static byte[] encode(PcpMessage m) {
        return switch (m) {
            case AnnounceRequest r -> requestHeader(ByteBuffer.allocate(HEADER), OPCODE_ANNOUNCE, 0, r.clientAddress())
                    .array();
            case MapRequest r -> {
                ByteBuffer b = requestHeader(ByteBuffer.allocate(HEADER + MAP_PAYLOAD), OPCODE_MAP, r.lifetimeSeconds(),
                        r.clientAddress());
                mapPayload(b, r.nonce(), r.protocol(), r.internalPort(), r.suggestedExternalPort(),
                        r.suggestedExternalAddress());
                yield b.array();
            }
            case AnnounceResponse r -> responseHeader(ByteBuffer.allocate(HEADER), OPCODE_ANNOUNCE, r.rawResult(),
                    r.lifetimeSeconds(), r.epochSeconds()).array();
            case MapResponse r -> {
                ByteBuffer b = responseHeader(ByteBuffer.allocate(HEADER + MAP_PAYLOAD), OPCODE_MAP, r.rawResult(),
                        r.lifetimeSeconds(), r.epochSeconds());
                mapPayload(b, r.nonce(), r.protocol(), r.internalPort(), r.assignedExternalPort(),
                        r.assignedExternalAddress());
                yield b.array();
            }
            case OtherVersion r -> ByteBuffer.allocate(8).put((byte) r.version()).put((byte) 0x80).put((byte) 0)
                    .put((byte) r.rawResult()).array();
        };
    }

    /** Decodes a response (the remaining bytes of {@code buf}; its position is not moved). Never throws. */
    public static Decoded<PcpMessage> decodeResponse(ByteBuffer buf) {
        ByteBuffer b = buf.slice();
        int n = b.remaining();
        if (n < 4) {
            return Decoded.err(PortMapDecodeError.TOO_SHORT, n + " bytes");
        }
        int version = b.get(0) & 0xFF;
        if (version != VERSION) {
            if ((b.get(1) & 0x80) == 0) {
                return Decoded.err(PortMapDecodeError.WRONG_DIRECTION, "version " + version + " request");
            }
            return Decoded.ok(new OtherVersion(version, version == 0 ? b.getShort(2) & 0xFFFF : b.get(3) & 0xFF));
        }
        if (n < HEADER) {
            return Decoded.err(PortMapDecodeError.TOO_SHORT, n + " bytes (expected: >= " + HEADER + ")");
        }
        if (n > MAX_LENGTH || n % 4 != 0) {
            return Decoded.err(PortMapDecodeError.BAD_LENGTH, n + " bytes (expected: multiple of 4, <= " + MAX_LENGTH
                    + ")");
        }
        int rop = b.get(1) & 0xFF;
        if ((rop & 0x80) == 0) {
            return Decoded.err(PortMapDecodeError.WRONG_DIRECTION, "R bit clear (a request)");
        }
        int opcode = rop & 0x7F;
        int raw = b.get(3) & 0xFF;
        PcpResultCode result = PcpResultCode.of(raw);
        long lifetime = b.getInt(4) & 0xFFFF_FFFFL;
        long epoch = b.getInt(8) & 0xFFFF_FFFFL;
        switch (opcode) {
            case OPCODE_ANNOUNCE -> {
                String bad = checkOptions(b, HEADER);
                if (bad != null) {
                    return Decoded.err(PortMapDecodeError.BAD_OPTION, bad);
                }
                return Decoded.ok(new AnnounceResponse(result, raw, lifetime, epoch));
            }
            case OPCODE_MAP -> {
                if (n < HEADER + MAP_PAYLOAD) {
                    return Decoded.err(PortMapDecodeError.TOO_SHORT, n + " bytes for MAP (expected: >= "
                            + (HEADER + MAP_PAYLOAD) + ")");
                }
                String bad = checkOptions(b, HEADER + MAP_PAYLOAD);
                if (bad != null) {
                    return Decoded.err(PortMapDecodeError.BAD_OPTION, bad);
                }
                byte[] nonce = new byte[12];
                b.get(HEADER, nonce);
                int protocol = b.get(HEADER + 12) & 0xFF;
                int internalPort = b.getShort(HEADER + 16) & 0xFFFF;
                int externalPort = b.getShort(HEADER + 18) & 0xFFFF;
                byte[] addr = new byte[16];
                b.get(HEADER + 20, addr);
                return Decoded.ok(new MapResponse(result, raw, lifetime, epoch, new Nonce(nonce), protocol,
                        internalPort, externalPort, fromWire(addr)));
            }
            default -> {
                return Decoded.err(PortMapDecodeError.UNKNOWN_OPCODE, "opcode " + opcode);
            }
        }
    }

    /** Null when the options after {@code offset} frame exactly to the end; else why not. */
    private static String checkOptions(ByteBuffer b, int offset) {
        int at = offset;
        while (at < b.limit()) { // each option takes at least 4 bytes: bounded by the 1100-byte limit
            if (b.limit() - at < 4) {
                return "option header truncated at " + at;
            }
            int len = b.getShort(at + 2) & 0xFFFF;
            int padded = (len + 3) & ~3;
            if (padded > b.limit() - at - 4) {
                return "option " + (b.get(at) & 0xFF) + " length " + len + " runs past the end";
            }
            at += 4 + padded;
        }
        return null;
    }

    private static ByteBuffer requestHeader(ByteBuffer b, int opcode, long lifetime, InetAddress client) {
        return b.put((byte) VERSION).put((byte) opcode).putShort((short) 0).putInt((int) lifetime).put(toWire(client));
    }

    private static ByteBuffer responseHeader(ByteBuffer b, int opcode, int result, long lifetime, long epoch) {
        return b.put((byte) VERSION).put((byte) (0x80 | opcode)).put((byte) 0).put((byte) result)
                .putInt((int) lifetime).putInt((int) epoch).put(new byte[12]);
    }

    private static void mapPayload(ByteBuffer b, Nonce nonce, int protocol, int internalPort, int externalPort,
            InetAddress external) {
        b.put(nonce.bytes()).put((byte) protocol).put(new byte[3]).putShort((short) internalPort)
                .putShort((short) externalPort).put(toWire(external));
    }

    /** 16 bytes: IPv6 as is, IPv4 as {@code ::ffff:a.b.c.d}. */
    public static byte[] toWire(InetAddress a) {
        if (a instanceof Inet6Address) {
            return a.getAddress();
        }
        byte[] out = new byte[16];
        out[10] = (byte) 0xFF;
        out[11] = (byte) 0xFF;
        System.arraycopy(a.getAddress(), 0, out, 12, 4);
        return out;
    }

    /** The inverse of {@link #toWire}: an IPv4-mapped address comes back as an {@link Inet4Address}. */
    public static InetAddress fromWire(byte[] sixteen) {
        try {
            // InetAddress.getByAddress turns ::ffff:a.b.c.d into an Inet4Address by itself
            return InetAddress.getByAddress(sixteen);
        } catch (UnknownHostException e) {
            throw new AssertionError("16 bytes are always an address", e);
        }
    }

    /** The all-zeros address of {@code family}'s kind: "no preference" in a suggested external address. */
    public static InetAddress unspecifiedLike(InetAddress family) {
        return family instanceof Inet4Address ? PmpCodec.ipv4(new byte[4]) : fromWire(new byte[16]);
    }
}
