package dev.gridmesh.relay.store;

import java.time.Instant;
import java.util.HexFormat;
import java.util.Objects;
import java.util.Set;

/**
 * A join token as stored: only the SHA-256 of the token text is kept (see {@link JoinTokens}).
 *
 * @param hash SHA-256 of the token's UTF-8 text (32 bytes)
 * @param expires null when it never expires
 * @param uses how many nodes it admitted
 */
public record TokenRecord(byte[] hash, boolean reusable, Instant expires, Set<String> tags, Instant created, int uses) {
    public TokenRecord {
        Objects.requireNonNull(hash, "hash");
        if (hash.length != 32) {
            throw new IllegalArgumentException("token hash must be 32 bytes");
        }
        hash = hash.clone();
        tags = Set.copyOf(tags);
        Objects.requireNonNull(created, "created");
    }

    @Override
    public byte[] hash() {
        return hash.clone();
    }

    /** The first 8 hex digits of the hash: enough to tell tokens apart in a listing, useless to an attacker. */
    public String id() {
        return HexFormat.of().formatHex(hash, 0, 4);
    }
}
