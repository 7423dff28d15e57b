package dev.gridmesh.crypto;

import java.security.SecureRandom;
import org.bouncycastle.math.ec.rfc7748.X25519;

/** A node's Curve25519 private key (the WireGuard static private key). Never printed by {@link #toString()}. */
public final class NodePrivateKey extends Key32 {
    private NodePrivateKey(byte[] bytes) {
        super(clamp(bytes));
    }

    /** A new random key, clamped as {@code wg genkey} does. */
    public static NodePrivateKey generate(SecureRandom random) {
        byte[] k = new byte[LENGTH];
        random.nextBytes(k);
        return new NodePrivateKey(k);
    }

    public static NodePrivateKey generate() {
        return generate(new SecureRandom());
    }

    public static NodePrivateKey fromBytes(byte[] bytes) {
        return new NodePrivateKey(bytes);
    }

    /** Parses the base64 text form of {@code wg genkey}. */
    public static NodePrivateKey fromBase64(String text) {
        return new NodePrivateKey(decode(text, "private key"));
    }

    /** The matching public key, as {@code wg pubkey} computes it. */
    public NodePublicKey publicKey() {
        byte[] pub = new byte[LENGTH];
        X25519.scalarMultBase(raw(), 0, pub, 0);
        return NodePublicKey.fromBytes(pub);
    }

    /**
     * Curve25519 Diffie-Hellman with a peer's public key. Returns false (and leaves {@code out} zeroed)
     * when the result is all zeros, i.e. the peer sent a low-order point.
     */
    public boolean agree(NodePublicKey peer, byte[] out, int off) {
        return X25519.calculateAgreement(raw(), 0, peer.raw(), 0, out, off);
    }

    private static byte[] clamp(byte[] k) {
        if (k == null || k.length != LENGTH) {
            throw new IllegalArgumentException("private key must be " + LENGTH + " bytes");
        }
        byte[] c = k.clone();
        c[0] &= (byte) 248;
        c[31] &= 127;
        c[31] |= 64;
        return c;
    }

    @Override
    public String toString() {
        return "privkey:<redacted>";
    }
}
