package dev.gridmesh.crypto;

import java.security.SecureRandom;

/** An optional WireGuard pre-shared key (the "psk" of Noise_IKpsk2), as {@code wg genpsk} prints it. */
public final class PresharedKey extends Key32 {
    /** The all-zero key WireGuard uses when a peer has no pre-shared key. */
    public static final PresharedKey NONE = new PresharedKey(new byte[LENGTH]);

    private PresharedKey(byte[] bytes) {
        super(bytes);
    }

    public static PresharedKey generate(SecureRandom random) {
        byte[] k = new byte[LENGTH];
        random.nextBytes(k);
        return new PresharedKey(k);
    }

    public static PresharedKey fromBytes(byte[] bytes) {
        return new PresharedKey(bytes);
    }

    public static PresharedKey fromBase64(String text) {
        return new PresharedKey(decode(text, "preshared key"));
    }

    /** Copies the key into {@code dst} at {@code off}. */
    public void copyTo(byte[] dst, int off) {
        System.arraycopy(raw(), 0, dst, off, LENGTH);
    }

    @Override
    public String toString() {
        return "psk:<redacted>";
    }
}
