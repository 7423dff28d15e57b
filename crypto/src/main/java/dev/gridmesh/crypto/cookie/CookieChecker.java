package dev.gridmesh.crypto.cookie;

import dev.gridmesh.crypto.NodePublicKey;
import dev.gridmesh.crypto.noise.Blake2s;
import dev.gridmesh.crypto.noise.XChaCha20Poly1305;
import java.time.Duration;
import java.util.Arrays;
import java.util.Objects;
import java.util.random.RandomGenerator;

/**
 * The receiving side of mac1/mac2 (whitepaper §5.4.4, §5.4.7), one per device: checks mac1 of every handshake
 * message against our own public key, checks mac2 under load, and creates cookie replies. The cookie secret R_m is
 * random and replaced when older than the cookie refresh time (2 minutes). A handshake message of {@code len} bytes
 * carries mac1 at len-32 and mac2 at len-16. Thread-safe.
 *
 * <pre>
 * cookie reply (type 3, 64 bytes):
 *  0      1      2      3      4
 *  +------+------+------+------+
 *  | 3    | reserved (zero)    |
 *  +------+------+------+------+
 *  | receiver index (LE)       |   = sender index of the message answered
 *  +---------------------------+
 *  | nonce (24)                |
 *  +---------------------------+
 *  | encrypted cookie (16+16)  |   = XAEAD(HASH(LABEL_COOKIE || Spub_ours), nonce, MAC(R_m, src), mac1 answered)
 *  +---------------------------+
 * </pre>
 */
public final class CookieChecker {
    private final byte[] mac1Key;
    private final byte[] cookieKey;
    private final long refreshNanos;
    private final RandomGenerator rng;
    private final byte[] secret = new byte[32];
    private long secretSetNanos;
    private boolean secretSet;

    public CookieChecker(NodePublicKey local, Duration cookieRefreshTime, RandomGenerator rng) {
        Objects.requireNonNull(local, "local");
        this.mac1Key = CookieMacs.mac1Key(local);
        this.cookieKey = CookieMacs.cookieKey(local);
        this.refreshNanos = cookieRefreshTime.toNanos();
        this.rng = Objects.requireNonNull(rng, "rng");
    }

    /** Whether msg[off..off+len) carries a valid mac1 for our public key. */
    public boolean checkMac1(byte[] msg, int off, int len) {
        if (len < 32) {
            return false;
        }
        byte[] mac = Blake2s.mac(mac1Key, msg, off, len - 32);
        return CookieMacs.equal16(mac, 0, msg, off + len - 32);
    }

    /**
     * Whether msg carries a valid mac2 for a cookie we would give {@code source} (its address bytes and port, as
     * built by the caller) with the current secret.
     */
    public synchronized boolean checkMac2(byte[] msg, int off, int len, byte[] source, long nowNanos) {
        if (len < 32 || !secretSet || nowNanos - secretSetNanos > refreshNanos) {
            return false;
        }
        byte[] cookie = Blake2s.mac(secret, source, 0, source.length);
        byte[] mac = Blake2s.mac(cookie, msg, off, len - 16);
        return CookieMacs.equal16(mac, 0, msg, off + len - 16);
    }

    /**
     * Writes a 64-byte cookie reply to the handshake message msg[off..off+len) (whose sender index is
     * {@code receiverIndex}) from {@code source} into out[outOff..).
     */
    public void createReply(byte[] msg, int off, int len, int receiverIndex, byte[] source, long nowNanos,
            byte[] out, int outOff) {
        byte[] cookie;
        synchronized (this) {
            if (!secretSet || nowNanos - secretSetNanos > refreshNanos) {
                rng.nextBytes(secret);
                secretSetNanos = nowNanos;
                secretSet = true;
            }
            cookie = Blake2s.mac(secret, source, 0, source.length);
        }
        byte[] nonce = new byte[XChaCha20Poly1305.NONCE_LEN];
        rng.nextBytes(nonce);
        byte[] mac1 = Arrays.copyOfRange(msg, off + len - 32, off + len - 16);
        byte[] sealed = XChaCha20Poly1305.seal(cookieKey, nonce, cookie, mac1);
        out[outOff] = 3;
        out[outOff + 1] = 0;
        out[outOff + 2] = 0;
        out[outOff + 3] = 0;
        out[outOff + 4] = (byte) receiverIndex;
        out[outOff + 5] = (byte) (receiverIndex >>> 8);
        out[outOff + 6] = (byte) (receiverIndex >>> 16);
        out[outOff + 7] = (byte) (receiverIndex >>> 24);
        System.arraycopy(nonce, 0, out, outOff + 8, 24);
        System.arraycopy(sealed, 0, out, outOff + 32, 32);
    }
}
