package dev.gridmesh.protocol.wg;

/** Why a packet was dropped; the engine counts each ({@link WgEngine#dropCounts()}). */
public enum DropReason {
    /** Outbound packet whose destination matches no peer's allowed IPs. */
    NO_ROUTE,
    /** Nowhere to send: no endpoint known (only reported where the engine itself would have to send). */
    NO_ENDPOINT,
    /** Wrong length for its message type, or an IP packet that does not parse. */
    MALFORMED,
    /** Shorter than the smallest message / IP header. */
    TRUNCATED,
    /** Larger than the destination buffer or the protocol allows. */
    OVERSIZED,
    /** First byte not 1..4 or the three reserved bytes not zero. */
    UNKNOWN_TYPE,
    /** Receiver index not in the table (or of the wrong kind). */
    UNKNOWN_INDEX,
    /** Handshake message whose mac1 does not match our public key. */
    BAD_MAC1,
    /** Under load, a handshake message without a valid mac2: answered with a cookie reply. */
    BAD_MAC2_UNDER_LOAD,
    /** AEAD authentication failed (wrong key, corrupted, wrong psk). */
    DECRYPT_FAILED,
    /** Transport counter already seen or below the replay window. */
    REPLAYED,
    /** Handshake message that failed Noise processing (decryption, bad DH, wrong state). */
    HANDSHAKE_FAILED,
    /** Initiation from a static key that is not a configured peer. */
    UNKNOWN_PEER,
    /** Transport packet on a session older than REJECT_AFTER_TIME or past REJECT_AFTER_MESSAGES. */
    SESSION_EXPIRED,
    /** Decrypted packet whose source address is not in the sending peer's allowed IPs. */
    SOURCE_NOT_ALLOWED,
    /** Staged queue of a peer waiting for a handshake was full: the oldest packet was dropped. */
    STAGED_QUEUE_FULL,
    /** Handshake initiations arriving faster than the per-peer or per-source limit. */
    RATE_LIMITED,
    /** Initiation whose TAI64N timestamp is not newer than the greatest seen from that peer. */
    REPLAYED_INITIATION,
    /** Cookie reply that did not decrypt or did not match a pending handshake. */
    BAD_COOKIE_REPLY,
    /** Staged packets discarded because the handshake gave up after REKEY_ATTEMPT_TIME (or the peer was removed). */
    HANDSHAKE_GAVE_UP
}
