package dev.gridmesh.crypto.cookie;

import dev.gridmesh.crypto.NodePublicKey;
import dev.gridmesh.crypto.noise.Blake2s;
import dev.gridmesh.crypto.noise.XChaCha20Poly1305;
import java.time.Duration;
import java.util.Arrays;
import java.util.Objects;

/**
 * The sending side of mac1/mac2, one per peer: writes mac1 (keyed by the peer's public key) and, while a cookie from
 * that peer is fresh (younger than the cookie refresh time), mac2 into outgoing handshake messages; consumes the
 * peer's cookie replies. Not thread-safe: the peer serialises access.
 */
public final class CookieGenerator {
    private final byte[] mac1Key;
    private final byte[] cookieKey;
    private final long refreshNanos;
    private final byte[] lastMac1 = new byte[16];
    private boolean hasLastMac1;
    private final byte[] cookie = new byte[16];
    private boolean hasCookie;
    private long cookieSetNanos;

    public CookieGenerator(NodePublicKey remote, Duration cookieRefreshTime) {
        Objects.requireNonNull(remote, "remote");
        this.mac1Key = CookieMacs.mac1Key(remote);
        this.cookieKey = CookieMacs.cookieKey(remote);
        this.refreshNanos = cookieRefreshTime.toNanos();
    }

    /** Writes mac1 and mac2 (zeros without a fresh cookie) at the end of the handshake message msg[off..off+len). */
    public void addMacs(byte[] msg, int off, int len, long nowNanos) {
        Blake2s.mac(mac1Key, msg, off, len - 32, msg, off + len - 32);
        System.arraycopy(msg, off + len - 32, lastMac1, 0, 16);
        hasLastMac1 = true;
        if (hasCookie && nowNanos - cookieSetNanos < refreshNanos) {
            Blake2s.mac(cookie, msg, off, len - 16, msg, off + len - 16);
        } else {
            Arrays.fill(msg, off + len - 16, off + len, (byte) 0);
        }
    }

    /** Whether a fresh cookie is held (mac2 will be sent). */
    public boolean hasFreshCookie(long nowNanos) {
        return hasCookie && nowNanos - cookieSetNanos < refreshNanos;
    }

    /**
     * Consumes the 64-byte cookie reply at msg[off..): decrypts the cookie with the mac1 of our last message to this
     * peer as authtext. False if we sent nothing or it does not authenticate.
     */
    public boolean consumeReply(byte[] msg, int off, long nowNanos) {
        if (!hasLastMac1) {
            return false;
        }
        byte[] nonce = Arrays.copyOfRange(msg, off + 8, off + 32);
        byte[] c = XChaCha20Poly1305.open(cookieKey, nonce, msg, off + 32, 32, lastMac1);
        if (c == null) {
            return false;
        }
        System.arraycopy(c, 0, cookie, 0, 16);
        hasCookie = true;
        cookieSetNanos = nowNanos;
        return true;
    }
}
