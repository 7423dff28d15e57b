package dev.gridmesh.crypto;

import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Base64;

/**
 * 32 bytes of key material in WireGuard's text form (standard base64, 44 characters), compared in constant time.
 * Subclasses give each key role its own type.
 */
abstract sealed class Key32 permits NodePrivateKey, NodePublicKey, PresharedKey {
    static final int LENGTH = 32;
    private final byte[] bytes;

    Key32(byte[] bytes) {
        if (bytes == null || bytes.length != LENGTH) {
            throw new IllegalArgumentException("key must be " + LENGTH + " bytes");
        }
        this.bytes = bytes.clone();
    }

    static byte[] decode(String text, String role) {
        if (text == null) {
            throw new IllegalArgumentException(role + ": missing");
        }
        String t = text.strip();
        byte[] raw;
        try {
            raw = Base64.getDecoder().decode(t);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(role + ": not base64 (expected: 44 characters as printed by wg genkey)");
        }
        if (raw.length != LENGTH || t.length() != 44) {
            throw new IllegalArgumentException(role + ": " + raw.length + " bytes (expected: 32, base64 of 44 characters)");
        }
        return raw;
    }

    /** A copy of the raw 32 bytes. */
    public final byte[] toBytes() {
        return bytes.clone();
    }

    /** The raw bytes without a copy; callers in this package must not modify them. */
    final byte[] raw() {
        return bytes;
    }

    /** WireGuard's base64 text form, as {@code wg genkey}/{@code wg pubkey} print it. */
    public final String toBase64() {
        return Base64.getEncoder().encodeToString(bytes);
    }

    @Override
    public final boolean equals(Object o) {
        return o != null && o.getClass() == getClass() && MessageDigest.isEqual(bytes, ((Key32) o).bytes);
    }

    @Override
    public final int hashCode() {
        return Arrays.hashCode(bytes);
    }
}
