package dev.gridmesh.crypto.noise;

/**
 * XAEAD(key, nonce, plaintext, authtext) of WireGuard cookie replies: XChaCha20-Poly1305 with a 24-byte nonce
 * (draft-irtf-cfrg-xchacha-03 §2.3): subkey = HChaCha20(key, nonce[0..16)), then ChaCha20-Poly1305 with the
 * 12-byte nonce 4 zero bytes || nonce[16..24).
 */
public final class XChaCha20Poly1305 {
    public static final int NONCE_LEN = 24;

    private XChaCha20Poly1305() {
    }

    public static byte[] seal(byte[] key, byte[] nonce24, byte[] plaintext, byte[] ad) {
        return ChaChaPoly.sealWithNonce(hChaCha20(key, nonce24), subNonce(nonce24), plaintext, ad);
    }

    /** Null when the tag does not verify. */
    public static byte[] open(byte[] key, byte[] nonce24, byte[] ct, int off, int len, byte[] ad) {
        return ChaChaPoly.openWithNonce(hChaCha20(key, nonce24), subNonce(nonce24), ct, off, len, ad);
    }

    private static byte[] subNonce(byte[] nonce24) {
        if (nonce24.length != NONCE_LEN) {
            throw new IllegalArgumentException("nonce must be 24 bytes");
        }
        byte[] n = new byte[12];
        System.arraycopy(nonce24, 16, n, 4, 8);
        return n;
    }

    /** HChaCha20(key, nonce[0..16)) per draft-irtf-cfrg-xchacha-03 §2.2: 32-byte subkey. */
    public static byte[] hChaCha20(byte[] key, byte[] nonce) {
        if (key.length != 32 || nonce.length < 16) {
            throw new IllegalArgumentException("key must be 32 bytes, nonce at least 16");
        }
        int[] s = new int[16];
        s[0] = 0x61707865;
        s[1] = 0x3320646e;
        s[2] = 0x79622d32;
        s[3] = 0x6b206574;
        for (int i = 0; i < 8; i++) {
            s[4 + i] = le32(key, 4 * i);
        }
        for (int i = 0; i < 4; i++) {
            s[12 + i] = le32(nonce, 4 * i);
        }
        for (int round = 0; round < 10; round++) {
            quarter(s, 0, 4, 8, 12);
            quarter(s, 1, 5, 9, 13);
            quarter(s, 2, 6, 10, 14);
            quarter(s, 3, 7, 11, 15);
            quarter(s, 0, 5, 10, 15);
            quarter(s, 1, 6, 11, 12);
            quarter(s, 2, 7, 8, 13);
            quarter(s, 3, 4, 9, 14);
        }
        byte[] out = new byte[32];
        for (int i = 0; i < 4; i++) {
            putLe32(out, 4 * i, s[i]);
            putLe32(out, 16 + 4 * i, s[12 + i]);
        }
        java.util.Arrays.fill(s, 0);
        return out;
    }

    private static void quarter(int[] s, int a, int b, int c, int d) {
        s[a] += s[b];
        s[d] = Integer.rotateLeft(s[d] ^ s[a], 16);
        s[c] += s[d];
        s[b] = Integer.rotateLeft(s[b] ^ s[c], 12);
        s[a] += s[b];
        s[d] = Integer.rotateLeft(s[d] ^ s[a], 8);
        s[c] += s[d];
        s[b] = Integer.rotateLeft(s[b] ^ s[c], 7);
    }

    private static int le32(byte[] b, int off) {
        return (b[off] & 0xff) | (b[off + 1] & 0xff) << 8 | (b[off + 2] & 0xff) << 16 | (b[off + 3] & 0xff) << 24;
    }

    private static void putLe32(byte[] b, int off, int v) {
        b[off] = (byte) v;
        b[off + 1] = (byte) (v >>> 8);
        b[off + 2] = (byte) (v >>> 16);
        b[off + 3] = (byte) (v >>> 24);
    }
}
