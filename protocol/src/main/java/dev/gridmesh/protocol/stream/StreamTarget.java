package dev.gridmesh.protocol.stream;

import dev.gridmesh.protocol.relay.RelayDecodeException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * Payload of a STREAM_OPEN that opens a stream: where the stream should lead.
 *
 * <pre>
 *  0                   1                   2
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |          port (u16)           | node len (u8) |  node name (UTF-8, 1..63 bytes) ...
 * +-------------------------------+---------------+
 * </pre>
 *
 * A STREAM_OPEN with an empty payload, sent back on the same stream id, accepts the stream (docs/tunnels.md).
 *
 * @param node the node name (the engineer names it; the relay passes the agent its own name)
 * @param port TCP port on the node's loopback, 1..65535
 */
public record StreamTarget(String node, int port) {
    public static final int MAX_NODE = 63;

    public StreamTarget {
        Objects.requireNonNull(node, "node");
        int len = node.getBytes(StandardCharsets.UTF_8).length;
        if (len < 1 || len > MAX_NODE) {
            throw new IllegalArgumentException("node name of " + len + " bytes (expected: 1.." + MAX_NODE + ")");
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port " + port + " (expected: 1..65535)");
        }
    }

    public byte[] encode() {
        byte[] n = node.getBytes(StandardCharsets.UTF_8);
        byte[] out = new byte[3 + n.length];
        out[0] = (byte) (port >>> 8);
        out[1] = (byte) port;
        out[2] = (byte) n.length;
        System.arraycopy(n, 0, out, 3, n.length);
        return out;
    }

    public static StreamTarget decode(ByteBuffer in) throws RelayDecodeException {
        if (in.remaining() < 4) {
            throw new RelayDecodeException(RelayDecodeException.Reason.TRUNCATED, "stream target of " + in.remaining()
                    + " bytes (expected: >= 4)");
        }
        int port = in.getShort() & 0xffff;
        int len = in.get() & 0xff;
        if (len < 1 || len > MAX_NODE || in.remaining() != len) {
            throw new RelayDecodeException(RelayDecodeException.Reason.BAD_FIELD, "stream target node length " + len
                    + " with " + in.remaining() + " bytes left (expected: 1.." + MAX_NODE + ", exact)");
        }
        if (port == 0) {
            throw new RelayDecodeException(RelayDecodeException.Reason.BAD_FIELD, "stream target port 0 (expected: 1..65535)");
        }
        String node;
        try {
            node = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(in).toString();
        } catch (CharacterCodingException e) {
            throw new RelayDecodeException(RelayDecodeException.Reason.BAD_FIELD, "stream target node: not UTF-8");
        }
        return new StreamTarget(node, port);
    }

    @Override
    public String toString() {
        return node + ":" + port;
    }
}
