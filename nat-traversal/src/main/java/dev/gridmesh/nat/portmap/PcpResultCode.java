package dev.gridmesh.nat.portmap;

/** PCP result codes, RFC 6887 section 7.4. */
public enum PcpResultCode {
    SUCCESS(0), UNSUPP_VERSION(1), NOT_AUTHORIZED(2), MALFORMED_REQUEST(3), UNSUPP_OPCODE(4), UNSUPP_OPTION(5),
    MALFORMED_OPTION(6), NETWORK_FAILURE(7), NO_RESOURCES(8), UNSUPP_PROTOCOL(9), USER_EX_QUOTA(10),
    CANNOT_PROVIDE_EXTERNAL(11), ADDRESS_MISMATCH(12), EXCESSIVE_REMOTE_PEERS(13), UNKNOWN(-1);

    private final int code;

    PcpResultCode(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }

    /** Short-lifetime errors (section 7.4): worth retrying later; the others mean "do not ask again like this". */
    public boolean isTransient() {
        return this == NETWORK_FAILURE || this == NO_RESOURCES || this == USER_EX_QUOTA
                || this == CANNOT_PROVIDE_EXTERNAL || this == EXCESSIVE_REMOTE_PEERS;
    }

    public static PcpResultCode of(int code) {
        for (PcpResultCode c : values()) {
            if (c.code == code) {
                return c;
            }
        }
        return UNKNOWN;
    }
}
