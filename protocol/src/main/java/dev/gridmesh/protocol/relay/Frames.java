package dev.gridmesh.protocol.relay;

import dev.gridmesh.crypto.NodePublicKey;
import java.nio.ByteBuffer;

/** Constants of the agent-relay connection and helpers to build whole frames as byte arrays. */
public final class Frames {
    /** The frame version byte of this protocol. */
    public static final int VERSION = 1;
    /** HTTP path of the upgrade request. */
    public static final String UPGRADE_PATH = "/gridmesh/v1";
    /** Value of the {@code Upgrade} header in request and 101 response. */
    public static final String UPGRADE_TOKEN = "gridmesh-relay";
    /**
     * Largest payload a peer may send in one frame: a 64 KiB packet plus its 32-byte node key, with room to spare.
     * A larger length field is refused before any payload is read.
     */
    public static final int MAX_PAYLOAD = 65_536 + 256;
    /** Bytes of node key in front of the WireGuard message in a PACKET frame. */
    public static final int PACKET_KEY_SIZE = 32;

    private Frames() {}

    /** A whole CONTROL frame (header and message). */
    public static byte[] control(ControlMessage m) {
        byte[] body = m.encode();
        byte[] f = new byte[FrameHeader.SIZE + body.length];
        FrameHeader.of(FrameType.CONTROL, body.length).encode(f, 0);
        System.arraycopy(body, 0, f, FrameHeader.SIZE, body.length);
        return f;
    }

    /** A whole PACKET frame: {@code key} then {@code len} bytes of {@code packet} from {@code off}. */
    public static byte[] packet(NodePublicKey key, byte[] packet, int off, int len) {
        byte[] f = new byte[FrameHeader.SIZE + PACKET_KEY_SIZE + len];
        FrameHeader.of(FrameType.PACKET, PACKET_KEY_SIZE + len).encode(f, 0);
        key.copyTo(f, FrameHeader.SIZE);
        System.arraycopy(packet, off, f, FrameHeader.SIZE + PACKET_KEY_SIZE, len);
        return f;
    }

    /** The node key at the start of a PACKET payload; TRUNCATED when the payload is shorter than a key. */
    public static NodePublicKey packetKey(ByteBuffer payload) throws RelayDecodeException {
        if (payload.remaining() < PACKET_KEY_SIZE) {
            throw new RelayDecodeException(RelayDecodeException.Reason.TRUNCATED,
                    "packet payload of " + payload.remaining() + " bytes (expected: >= 32)");
        }
        byte[] k = new byte[PACKET_KEY_SIZE];
        payload.get(payload.position(), k);
        return NodePublicKey.fromBytes(k);
    }
}
