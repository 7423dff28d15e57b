package dev.gridmesh.nat.disco;

/** Why a datagram did not open as a disco message. Counted, never thrown. */
public enum DiscoError {
    /** No disco magic. */
    NOT_DISCO,
    /** Shorter than magic + key + nonce + header + tag. */
    TOO_SHORT,
    /** The sender's key is not one of our peers (checked before any key agreement, so floods cost no X25519). */
    UNKNOWN_SENDER,
    /** The sender's key is a low-order point: no shared secret. */
    BAD_KEY,
    /** Authentication failed: forged, corrupted, or sealed for someone else. */
    DECRYPT_FAILED,
    /** Unsupported version or message type. */
    UNKNOWN_TYPE,
    /** The plaintext is the wrong size for its type. */
    MALFORMED
}
