package dev.gridmesh.protocol.relay;

import dev.gridmesh.protocol.relay.RelayDecodeException.Reason;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/** Bounds-checked reads of the relay protocol's field types; every failure is a {@link RelayDecodeException}. */
final class WireReader {
    private final ByteBuffer in;

    WireReader(ByteBuffer in) {
        this.in = in;
    }

    private void need(int n, String what) throws RelayDecodeException {
        if (in.remaining() < n) {
            throw new RelayDecodeException(Reason.TRUNCATED, what + " needs " + n + " bytes, " + in.remaining() + " left");
        }
    }

    int u8(String what) throws RelayDecodeException {
        need(1, what);
        return in.get() & 0xff;
    }

    int u16(String what) throws RelayDecodeException {
        need(2, what);
        return in.getShort() & 0xffff;
    }

    long u64(String what) throws RelayDecodeException {
        need(8, what);
        return in.getLong();
    }

    byte[] bytes(int n, String what) throws RelayDecodeException {
        need(n, what);
        byte[] b = new byte[n];
        in.get(b);
        return b;
    }

    /** A string with a u8 (short) or u16 length prefix, strict UTF-8, at most {@code max} bytes. */
    String string(boolean u16Length, int max, String what) throws RelayDecodeException {
        int len = u16Length ? u16(what) : u8(what);
        if (len > max) {
            throw new RelayDecodeException(Reason.BAD_FIELD, what + " of " + len + " bytes (expected: <= " + max + ")");
        }
        byte[] b = bytes(len, what);
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(b)).toString();
        } catch (CharacterCodingException e) {
            throw new RelayDecodeException(Reason.BAD_FIELD, what + ": not UTF-8");
        }
    }

    /** An address: u8 length (4 or 16), then the bytes. */
    InetAddress address(String what) throws RelayDecodeException {
        int len = u8(what);
        if (len != 4 && len != 16) {
            throw new RelayDecodeException(Reason.BAD_FIELD, what + " of " + len + " bytes (expected: 4 or 16)");
        }
        byte[] a = bytes(len, what);
        try {
            return InetAddress.getByAddress(a);
        } catch (UnknownHostException e) {
            throw new RelayDecodeException(Reason.BAD_FIELD, what + ": " + e.getMessage());
        }
    }

    /** An address then a u16 port. */
    InetSocketAddress endpoint(String what) throws RelayDecodeException {
        InetAddress a = address(what);
        return new InetSocketAddress(a, u16(what + " port"));
    }

    void end(String what) throws RelayDecodeException {
        if (in.hasRemaining()) {
            throw new RelayDecodeException(Reason.TRAILING_BYTES, in.remaining() + " bytes after " + what);
        }
    }
}
