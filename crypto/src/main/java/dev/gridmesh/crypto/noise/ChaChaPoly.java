package dev.gridmesh.crypto.noise;

import org.bouncycastle.crypto.InvalidCipherTextException;
import org.bouncycastle.crypto.modes.ChaCha20Poly1305;
import org.bouncycastle.crypto.params.AEADParameters;
import org.bouncycastle.crypto.params.KeyParameter;

/**
 * AEAD(key, counter, plaintext, authtext) of the handshake path: ChaCha20-Poly1305 (RFC 8439) with the 96-bit nonce
 * made of 4 zero bytes and the 64-bit little-endian counter (whitepaper §5.4). Allocates; the data path uses
 * {@link TransportCipher} instead.
 */
public final class ChaChaPoly {
    public static final int TAG_LEN = 16;

    private ChaChaPoly() {
    }

    /** The WireGuard nonce for {@code counter}: 4 zero bytes then the counter in little-endian. */
    public static byte[] nonce(long counter) {
        byte[] n = new byte[12];
        writeNonce(n, counter);
        return n;
    }

    static void writeNonce(byte[] n, long counter) {
        for (int i = 0; i < 4; i++) {
            n[i] = 0;
        }
        for (int i = 0; i < 8; i++) {
            n[4 + i] = (byte) (counter >>> (8 * i));
        }
    }

    public static byte[] seal(byte[] key, long counter, byte[] plaintext, byte[] ad) {
        return sealWithNonce(key, nonce(counter), plaintext, ad);
    }

    /** Decrypts and authenticates; null when the tag does not verify. */
    public static byte[] open(byte[] key, long counter, byte[] ciphertext, byte[] ad) {
        return openWithNonce(key, nonce(counter), ciphertext, 0, ciphertext.length, ad);
    }

    public static byte[] open(byte[] key, long counter, byte[] ciphertext, int off, int len, byte[] ad) {
        return openWithNonce(key, nonce(counter), ciphertext, off, len, ad);
    }

    static byte[] sealWithNonce(byte[] key, byte[] nonce12, byte[] plaintext, byte[] ad) {
        ChaCha20Poly1305 c = new ChaCha20Poly1305();
        c.init(true, new AEADParameters(new KeyParameter(key), TAG_LEN * 8, nonce12, ad));
        byte[] out = new byte[plaintext.length + TAG_LEN];
        int n = c.processBytes(plaintext, 0, plaintext.length, out, 0);
        try {
            c.doFinal(out, n);
        } catch (InvalidCipherTextException e) {
            throw new IllegalStateException(e);
        }
        return out;
    }

    static byte[] openWithNonce(byte[] key, byte[] nonce12, byte[] ct, int off, int len, byte[] ad) {
        if (len < TAG_LEN) {
            return null;
        }
        ChaCha20Poly1305 c = new ChaCha20Poly1305();
        c.init(false, new AEADParameters(new KeyParameter(key), TAG_LEN * 8, nonce12, ad));
        byte[] out = new byte[len - TAG_LEN];
        try {
            int n = c.processBytes(ct, off, len, out, 0);
            c.doFinal(out, n);
        } catch (InvalidCipherTextException | IllegalStateException e) {
            return null;
        }
        return out;
    }
}
