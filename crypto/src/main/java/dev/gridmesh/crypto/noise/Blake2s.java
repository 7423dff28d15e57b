package dev.gridmesh.crypto.noise;

import org.bouncycastle.crypto.digests.Blake2sDigest;
import org.bouncycastle.crypto.macs.HMac;
import org.bouncycastle.crypto.params.KeyParameter;

/**
 * WireGuard's hash functions (whitepaper §5.4): HASH = BLAKE2s-256, MAC = keyed BLAKE2s-128, HMAC = HMAC-BLAKE2s-256,
 * and the HKDF-style KDF1/KDF2/KDF3 built on HMAC. Allocates; used on the handshake path only.
 */
public final class Blake2s {
    public static final int HASH_LEN = 32;
    public static final int MAC_LEN = 16;

    private Blake2s() {
    }

    /** HASH(parts[0] || parts[1] || ...). */
    public static byte[] hash(byte[]... parts) {
        Blake2sDigest d = new Blake2sDigest(256);
        for (byte[] p : parts) {
            d.update(p, 0, p.length);
        }
        byte[] out = new byte[HASH_LEN];
        d.doFinal(out, 0);
        return out;
    }

    /** MAC(key, data[off..off+len)): keyed BLAKE2s with a 16-byte output. */
    public static byte[] mac(byte[] key, byte[] data, int off, int len) {
        byte[] out = new byte[MAC_LEN];
        mac(key, data, off, len, out, 0);
        return out;
    }

    /** MAC(key, data) written to out at outOff. */
    public static void mac(byte[] key, byte[] data, int off, int len, byte[] out, int outOff) {
        Blake2sDigest d = new Blake2sDigest(key, MAC_LEN, null, null);
        d.update(data, off, len);
        d.doFinal(out, outOff);
    }

    /** HMAC(key, parts...) with BLAKE2s-256 (block size 64). */
    public static byte[] hmac(byte[] key, byte[]... parts) {
        HMac h = new HMac(new Blake2sDigest(256));
        h.init(new KeyParameter(key));
        for (byte[] p : parts) {
            h.update(p, 0, p.length);
        }
        byte[] out = new byte[HASH_LEN];
        h.doFinal(out, 0);
        return out;
    }

    /** KDF_n(key, input): n (1..3) outputs of 32 bytes. */
    public static byte[][] kdf(int n, byte[] key, byte[] input) {
        if (n < 1 || n > 3) {
            throw new IllegalArgumentException("n: " + n + " (expected: 1..3)");
        }
        byte[] tau0 = hmac(key, input);
        byte[][] out = new byte[n][];
        byte[] prev = new byte[0];
        for (int i = 0; i < n; i++) {
            prev = hmac(tau0, prev, new byte[] {(byte) (i + 1)});
            out[i] = prev;
        }
        java.util.Arrays.fill(tau0, (byte) 0);
        return out;
    }

    public static byte[] kdf1(byte[] key, byte[] input) {
        return kdf(1, key, input)[0];
    }

    public static byte[][] kdf2(byte[] key, byte[] input) {
        return kdf(2, key, input);
    }

    public static byte[][] kdf3(byte[] key, byte[] input) {
        return kdf(3, key, input);
    }
}
