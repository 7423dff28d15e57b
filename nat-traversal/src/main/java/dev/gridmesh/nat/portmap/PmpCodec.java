package dev.gridmesh.nat.portmap;

import dev.gridmesh.nat.portmap.PmpMessage.ErrorResponse;
import dev.gridmesh.nat.portmap.PmpMessage.ExternalAddressRequest;
import dev.gridmesh.nat.portmap.PmpMessage.ExternalAddressResponse;
import dev.gridmesh.nat.portmap.PmpMessage.MapRequest;
import dev.gridmesh.nat.portmap.PmpMessage.MapResponse;
import dev.gridmesh.nat.portmap.PmpMessage.Transport;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;

/**
 * NAT-PMP codec, RFC 6886 sections 3.2 (external address) and 3.3 (mappings). All fields big-endian.
 *
 * <pre>
 * External address request (2 bytes)        External address response (12 bytes)
 * +---------------+---------------+          +---------------+---------------+-------------------------------+
 * | Vers = 0      | OP = 0        |          | Vers = 0      | OP = 128      | Result Code (16)              |
 * +---------------+---------------+          +---------------+---------------+-------------------------------+
 *                                            | Seconds Since Start of Epoch (32)                             |
 *                                            +---------------------------------------------------------------+
 *                                            | External IPv4 Address (32)                                    |
 *                                            +---------------------------------------------------------------+
 * Map request (12 bytes)
 * +---------------+---------------+-------------------------------+
 * | Vers = 0      | OP = 1 UDP/2  | Reserved (16) = 0             |
 * +---------------+---------------+-------------------------------+
 * | Internal Port (16)            | Suggested External Port (16)  |
 * +-------------------------------+-------------------------------+
 * | Requested Port Mapping Lifetime in Seconds (32)               |
 * +---------------------------------------------------------------+
 * Map response (16 bytes)
 * +---------------+---------------+-------------------------------+
 * | Vers = 0      | OP = 128 + op | Result Code (16)              |
 * +---------------+---------------+-------------------------------+
 * | Seconds Since Start of Epoch (32)                             |
 * +-------------------------------+-------------------------------+
 * | Internal Port (16)            | Mapped External Port (16)     |
 * +-------------------------------+-------------------------------+
 * | Port Mapping Lifetime in Seconds (32)                         |
 * +---------------------------------------------------------------+
 * Error response (result != 0; may end after the epoch, 8 bytes): as above, other fields not interpreted.
 * </pre>
 * A request with lifetime 0 (and suggested external port 0) deletes the mapping of that internal port (section 3.4).
 */
public final class PmpCodec {
    public static final int VERSION = 0;
    /** UDP port of the NAT-PMP (and PCP) server on the gateway. */
    public static final int SERVER_PORT = 5351;
    /** The longest message: a map response. */
    public static final int MAX_LENGTH = 16;

    private PmpCodec() {}

    /** Encodes a request (or, for tests and fakes, a response). */
    public static byte[] encode(PmpMessage m) {
        return switch (m) {
            case ExternalAddressRequest r -> new byte[] {0, 0};
            case MapRequest r -> ByteBuffer.allocate(12).put((byte) VERSION).put((byte) r.transport().opcode)
                    .putShort((short) 0).putShort((short) r.internalPort()).putShort((short) r.suggestedExternalPort())
                    .putInt((int) r.lifetimeSeconds()).array();
            case ExternalAddressResponse r -> ByteBuffer.allocate(12).put((byte) VERSION).put((byte) 128)
                    .putShort((short) 0).putInt((int) r.epochSeconds()).put(r.externalAddress().getAddress()).array();
            case MapResponse r -> ByteBuffer.allocate(16).put((byte) VERSION).put((byte) (128 + r.transport().opcode))
                    .putShort((short) 0).putInt((int) r.epochSeconds()).putShort((short) r.internalPort())
                    .putShort((short) r.externalPort()).putInt((int) r.lifetimeSeconds()).array();
            case ErrorResponse r -> ByteBuffer.allocate(8).put((byte) VERSION).put((byte) (128 + r.opcode()))
                    .putShort((short) r.rawResult()).putInt((int) r.epochSeconds()).array();
        };
    }

    /** Decodes a response from the gateway (the remaining bytes of {@code buf}; its position is not moved). */
    public static Decoded<PmpMessage> decodeResponse(ByteBuffer buf) {
        ByteBuffer b = buf.slice();
        int n = b.remaining();
        if (n < 2) {
            return Decoded.err(PortMapDecodeError.TOO_SHORT, n + " bytes");
        }
        int version = b.get(0) & 0xFF;
        int op = b.get(1) & 0xFF;
        if (version != VERSION) {
            return Decoded.err(PortMapDecodeError.BAD_VERSION, "version " + version);
        }
        if (op < 128) {
            return Decoded.err(PortMapDecodeError.WRONG_DIRECTION, "request opcode " + op);
        }
        if (n < 8) {
            return Decoded.err(PortMapDecodeError.TOO_SHORT, n + " bytes for opcode " + op);
        }
        if (n > MAX_LENGTH) {
            return Decoded.err(PortMapDecodeError.BAD_LENGTH, n + " bytes (expected: <= " + MAX_LENGTH + ")");
        }
        int result = b.getShort(2) & 0xFFFF;
        long epoch = b.getInt(4) & 0xFFFF_FFFFL;
        if (result != 0) {
            return Decoded.ok(new ErrorResponse(op - 128, PmpResultCode.of(result), result, epoch));
        }
        switch (op) {
            case 128 -> {
                if (n != 12) {
                    return Decoded.err(PortMapDecodeError.BAD_LENGTH, n + " bytes (expected: 12)");
                }
                byte[] a = new byte[4];
                b.get(8, a);
                return Decoded.ok(new ExternalAddressResponse(epoch, ipv4(a)));
            }
            case 129, 130 -> {
                if (n != 16) {
                    return Decoded.err(PortMapDecodeError.BAD_LENGTH, n + " bytes (expected: 16)");
                }
                Transport t = op == 129 ? Transport.UDP : Transport.TCP;
                return Decoded.ok(new MapResponse(t, epoch, b.getShort(8) & 0xFFFF, b.getShort(10) & 0xFFFF,
                        b.getInt(12) & 0xFFFF_FFFFL));
            }
            default -> {
                return Decoded.err(PortMapDecodeError.UNKNOWN_OPCODE, "opcode " + op);
            }
        }
    }

    static Inet4Address ipv4(byte[] four) {
        try {
            return (Inet4Address) InetAddress.getByAddress(four);
        } catch (UnknownHostException e) {
            throw new AssertionError("4 bytes are always an IPv4 address", e);
        }
    }
}
