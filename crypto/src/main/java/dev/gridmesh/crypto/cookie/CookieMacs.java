package dev.gridmesh.crypto.cookie;

import dev.gridmesh.crypto.NodePublicKey;
import dev.gridmesh.crypto.noise.Blake2s;
import dev.gridmesh.crypto.noise.Noise;
import java.nio.charset.StandardCharsets;

/** Key derivations shared by both cookie roles. */
final class CookieMacs {
    static final int MAC_LEN = 16;
    static final int COOKIE_REPLY_LEN = 64;

    private CookieMacs() {
    }

    /** HASH(LABEL_MAC1 || Spub): the key of mac1 on messages sent to the holder of {@code key}. */
    static byte[] mac1Key(NodePublicKey key) {
        return Blake2s.hash(Noise.LABEL_MAC1.getBytes(StandardCharsets.US_ASCII), key.toBytes());
    }

    /** HASH(LABEL_COOKIE || Spub): the XAEAD key of cookie replies sent by the holder of {@code key}. */
    static byte[] cookieKey(NodePublicKey key) {
        return Blake2s.hash(Noise.LABEL_COOKIE.getBytes(StandardCharsets.US_ASCII), key.toBytes());
    }

    /** Constant-time comparison of 16 bytes at a[ao] and b[bo]. */
    static boolean equal16(byte[] a, int ao, byte[] b, int bo) {
        int d = 0;
        for (int i = 0; i < MAC_LEN; i++) {
            d |= a[ao + i] ^ b[bo + i];
        }
        return d == 0;
    }
}
