package dev.gridmesh.nat.stun;

/** STUN attribute type numbers (IANA "STUN Attributes" registry) and the comprehension rule of RFC 8489 section 14. */
public final class StunAttributeType {
    // comprehension-required (0x0000-0x7FFF)
    public static final int MAPPED_ADDRESS = 0x0001;
    public static final int CHANGE_REQUEST = 0x0003;
    public static final int USERNAME = 0x0006;
    public static final int MESSAGE_INTEGRITY = 0x0008;
    public static final int ERROR_CODE = 0x0009;
    public static final int UNKNOWN_ATTRIBUTES = 0x000A;
    public static final int REALM = 0x0014;
    public static final int NONCE = 0x0015;
    public static final int MESSAGE_INTEGRITY_SHA256 = 0x001C;
    public static final int PASSWORD_ALGORITHM = 0x001D;
    public static final int USERHASH = 0x001E;
    public static final int XOR_MAPPED_ADDRESS = 0x0020;
    public static final int PADDING = 0x0026;
    public static final int RESPONSE_PORT = 0x0027;
    // comprehension-optional (0x8000-0xFFFF)
    public static final int PASSWORD_ALGORITHMS = 0x8002;
    public static final int ALTERNATE_DOMAIN = 0x8003;
    public static final int SOFTWARE = 0x8022;
    public static final int ALTERNATE_SERVER = 0x8023;
    public static final int FINGERPRINT = 0x8028;
    public static final int RESPONSE_ORIGIN = 0x802B;
    public static final int OTHER_ADDRESS = 0x802C;

    private StunAttributeType() {}

    /** Types below 0x8000 must be understood by the receiver, or a request fails with 420 (RFC 8489 section 14). */
    public static boolean isComprehensionRequired(int type) {
        return type < 0x8000;
    }

    /**
     * Whether this server/client understands {@code type} well enough to process a message carrying it. The
     * authentication attributes are understood as "not supported here": a Binding server without credentials ignores
     * them, as RFC 8489 section 9 allows for a server that does not use authentication.
     */
    public static boolean isUnderstood(int type) {
        return switch (type) {
            case MAPPED_ADDRESS, CHANGE_REQUEST, USERNAME, MESSAGE_INTEGRITY, ERROR_CODE, UNKNOWN_ATTRIBUTES, REALM,
                    NONCE, MESSAGE_INTEGRITY_SHA256, PASSWORD_ALGORITHM, USERHASH, XOR_MAPPED_ADDRESS, PADDING -> true;
            default -> !isComprehensionRequired(type);
        };
    }
}
