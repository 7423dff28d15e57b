package dev.gridmesh.nat.stun;

/** Why bytes did not decode as a STUN message. */
public enum StunDecodeError {
    /** Shorter than a header, top two bits set, or no magic cookie: some other protocol (or RFC 3489). */
    NOT_STUN,
    /** Header length not a multiple of 4 or not equal to the bytes that follow it. */
    BAD_LENGTH,
    /** An attribute header or value runs past the end of the message. */
    TRUNCATED_ATTRIBUTE,
    /** An attribute this codec interprets has a value of the wrong size or content. */
    BAD_ATTRIBUTE,
    /** FINGERPRINT does not match the CRC, or is not the last attribute. */
    BAD_FINGERPRINT
}
