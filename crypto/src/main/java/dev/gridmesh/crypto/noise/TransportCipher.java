package dev.gridmesh.crypto.noise;

import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.security.InvalidAlgorithmParameterException;
import java.security.InvalidKeyException;
import java.security.NoSuchAlgorithmException;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.NoSuchPaddingException;
import javax.crypto.SecretKey;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * The data path's ChaCha20-Poly1305 (the JDK's, intrinsic-accelerated), one per thread: reuses its {@link Cipher}
 * instances and nonce buffer. The nonce is 4 zero bytes and the little-endian counter; there is no authtext.
 * Not thread-safe.
 */
public final class TransportCipher {
    public static final int TAG_LEN = 16;
    private static final ByteBuffer ZEROS = ByteBuffer.allocate(16).asReadOnlyBuffer();

    private final Cipher sealer;
    private final Cipher opener;
    private final CounterNonce nonce = new CounterNonce();
    private final ByteBuffer padding = ZEROS.duplicate();

    public TransportCipher() {
        try {
            sealer = Cipher.getInstance("ChaCha20-Poly1305");
            opener = Cipher.getInstance("ChaCha20-Poly1305");
        } catch (NoSuchAlgorithmException | NoSuchPaddingException e) {
            throw new IllegalStateException("JDK lacks ChaCha20-Poly1305", e);
        }
    }

    /** Wraps a 32-byte key for repeated use with this class (do it once per session, not per packet). */
    public static SecretKey key(byte[] raw) {
        return new SecretKeySpec(raw, "ChaCha20");
    }

    /**
     * Encrypts in.position..limit followed by {@code padLen} (0..15) zero bytes into out at its position, appending
     * the tag. Advances both buffers. out must have room for in.remaining() + padLen + 16 bytes.
     */
    public void seal(SecretKey key, long counter, ByteBuffer in, int padLen, ByteBuffer out) {
        nonce.set(counter);
        try {
            sealer.init(Cipher.ENCRYPT_MODE, key, nonce);
            if (padLen == 0) {
                sealer.doFinal(in, out);
            } else {
                sealer.update(in, out);
                padding.clear().limit(padLen);
                sealer.doFinal(padding, out);
            }
        } catch (InvalidKeyException | InvalidAlgorithmParameterException e) {
            throw new IllegalStateException("nonce reuse or bad key", e);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Decrypts and authenticates in.position..limit (ciphertext and tag) into out at its position. Returns the
     * plaintext length, or -1 if authentication fails (out's content is then undefined).
     */
    public int open(SecretKey key, long counter, ByteBuffer in, ByteBuffer out) {
        nonce.set(counter);
        int start = out.position();
        try {
            opener.init(Cipher.DECRYPT_MODE, key, nonce);
            opener.doFinal(in, out);
            return out.position() - start;
        } catch (AEADBadTagException e) {
            out.position(start);
            return -1;
        } catch (GeneralSecurityException | IllegalStateException e) {
            out.position(start);
            return -1;
        }
    }

    /**
     * The reusable parameter spec: the JDK cipher takes the nonce through {@link #getIV()} (a copy, as the JDK's own
     * spec returns), so one instance serves every packet without allocating a spec per packet.
     */
    private static final class CounterNonce extends IvParameterSpec {
        private final byte[] bytes = new byte[12];

        CounterNonce() {
            super(new byte[12]);
        }

        void set(long counter) {
            ChaChaPoly.writeNonce(bytes, counter);
        }

        @Override
        public byte[] getIV() {
            return bytes.clone();
        }
    }
}
