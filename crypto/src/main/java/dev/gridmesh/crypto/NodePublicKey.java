package dev.gridmesh.crypto;

/** A node's Curve25519 public key: its WireGuard static public key and its identity in the mesh. */
public final class NodePublicKey extends Key32 {
    private NodePublicKey(byte[] bytes) {
        super(bytes);
    }

    public static NodePublicKey fromBytes(byte[] bytes) {
        return new NodePublicKey(bytes);
    }

    /** Parses the base64 text form; throws {@link IllegalArgumentException} naming what was expected. */
    public static NodePublicKey fromBase64(String text) {
        return new NodePublicKey(decode(text, "public key"));
    }

    /** Copies the key into {@code dst} at {@code off}. */
    public void copyTo(byte[] dst, int off) {
        System.arraycopy(raw(), 0, dst, off, LENGTH);
    }

    /** A short, log-safe form: {@code nodekey:} and the first 8 base64 characters. */
    public String shortString() {
        return "nodekey:" + toBase64().substring(0, 8);
    }

    @Override
    public String toString() {
        return "nodekey:" + toBase64();
    }
}
