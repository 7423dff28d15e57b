package dev.gridmesh.relay.cluster;

import dev.gridmesh.crypto.NodePublicKey;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Frames of the relay-to-relay link, inside TLS (the dialing relay pins the other's certificate, published with its
 * address in etcd; it proves it belongs to the mesh with an HMAC keyed by the cluster secret kept in etcd):
 *
 * <pre>
 *   0        4      5
 *   +--------+------+-----------------------------------------+
 *   | length | type | body (length - 1 bytes)                 |   length: u32, big-endian
 *   +--------+------+-----------------------------------------+
 *   AUTH   1  [u8 n][n bytes: dialing relay id][32: HMAC-SHA256(secret, "gridmesh-link-v1" 0 dialer-id 0 listener-id)]
 *   PACKET 2  [32: destination node key][32: source node key][the relayed packet]
 *   STREAMS 3 [as AUTH]: authenticates a link that carries engineer tunnel streams; after it the link speaks the
 *             relay frame format (12-byte header, docs/protocol.md), STREAM_* frames only, stream ids scoped to it
 * </pre>
 *
 * The PACKET body minus its first 32 bytes is exactly the PACKET payload an agent receives (source key first).
 * Streams have a link of their own (dialed when an engineer first needs it), so bulk tunnel bytes never queue in
 * front of relayed packets and the per-stream flow control of the relay frame format applies unchanged.
 */
public final class LinkFrames {
    public static final byte AUTH = 1;
    public static final byte PACKET = 2;
    public static final byte STREAMS = 3;
    public static final int KEY = 32;
    /** Largest body accepted: a relayed packet of the relay protocol's maximum plus two keys. */
    public static final int MAX_BODY = 1 + 2 * KEY + 65_536;

    private LinkFrames() {}

    public static ByteBuf auth(ByteBufAllocator alloc, String dialer, byte[] mac) {
        return auth(alloc, AUTH, dialer, mac);
    }

    /** An AUTH or STREAMS frame. */
    public static ByteBuf auth(ByteBufAllocator alloc, byte type, String dialer, byte[] mac) {
        byte[] id = dialer.getBytes(StandardCharsets.UTF_8);
        ByteBuf b = alloc.buffer(4 + 1 + 1 + id.length + mac.length);
        b.writeInt(1 + 1 + id.length + mac.length).writeByte(type).writeByte(id.length).writeBytes(id).writeBytes(mac);
        return b;
    }

    /** A PACKET frame from an agent's PACKET payload ({@code [dst][data]}), copied. */
    public static ByteBuf packet(ByteBufAllocator alloc, NodePublicKey src, ByteBuf dstAndData) {
        int n = dstAndData.readableBytes();
        ByteBuf b = alloc.buffer(4 + 1 + n + KEY);
        b.writeInt(1 + n + KEY).writeByte(PACKET);
        b.writeBytes(dstAndData, dstAndData.readerIndex(), KEY);
        byte[] k = new byte[KEY];
        src.copyTo(k, 0);
        b.writeBytes(k);
        b.writeBytes(dstAndData, dstAndData.readerIndex() + KEY, n - KEY);
        return b;
    }

    /** The MAC a dialer presents to a listener. */
    public static byte[] mac(byte[] secret, String dialer, String listener) {
        try {
            Mac m = Mac.getInstance("HmacSHA256");
            m.init(new SecretKeySpec(secret, "HmacSHA256"));
            m.update(("gridmesh-link-v1\0" + dialer + "\0" + listener).getBytes(StandardCharsets.UTF_8));
            return m.doFinal();
        } catch (NoSuchAlgorithmException | InvalidKeyException e) {
            throw new IllegalStateException(e);
        }
    }

    public static boolean macOk(byte[] expected, byte[] got) {
        return MessageDigest.isEqual(expected, got);
    }
}
