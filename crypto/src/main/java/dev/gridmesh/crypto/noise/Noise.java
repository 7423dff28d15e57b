package dev.gridmesh.crypto.noise;

import java.nio.charset.StandardCharsets;

/** WireGuard's protocol name strings and the initial chaining key and hash derived from them (whitepaper §5.4). */
public final class Noise {
    public static final String CONSTRUCTION = "Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s";
    public static final String IDENTIFIER = "WireGuard v1 zx2c4 Jason@zx2c4.com";
    public static final String LABEL_MAC1 = "mac1----";
    public static final String LABEL_COOKIE = "cookie--";

    /** C = HASH(CONSTRUCTION). */
    static final byte[] INITIAL_CHAIN_KEY = Blake2s.hash(CONSTRUCTION.getBytes(StandardCharsets.US_ASCII));
    /** H = HASH(C || IDENTIFIER). */
    static final byte[] INITIAL_HASH = Blake2s.hash(INITIAL_CHAIN_KEY, IDENTIFIER.getBytes(StandardCharsets.US_ASCII));

    private Noise() {
    }

    public static byte[] initialChainKey() {
        return INITIAL_CHAIN_KEY.clone();
    }

    public static byte[] initialHash() {
        return INITIAL_HASH.clone();
    }
}
