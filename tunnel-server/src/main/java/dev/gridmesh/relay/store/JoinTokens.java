package dev.gridmesh.relay.store;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;

/** Join token text ({@code gmt_} + 32 base64url characters: 192 random bits) and its stored hash. */
public final class JoinTokens {
    public static final String PREFIX = "gmt_";

    private JoinTokens() {}

    public static String generate(SecureRandom random) {
        byte[] b = new byte[24];
        random.nextBytes(b);
        return PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }

    /** SHA-256 of the token's UTF-8 text, as stored. */
    public static byte[] hash(String token) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
