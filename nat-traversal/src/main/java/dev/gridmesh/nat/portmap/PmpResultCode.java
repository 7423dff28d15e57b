package dev.gridmesh.nat.portmap;

/** NAT-PMP result codes, RFC 6886 section 3.5. */
public enum PmpResultCode {
    SUCCESS(0), UNSUPPORTED_VERSION(1), NOT_AUTHORIZED(2), NETWORK_FAILURE(3), OUT_OF_RESOURCES(4),
    UNSUPPORTED_OPCODE(5), UNKNOWN(-1);

    private final int code;

    PmpResultCode(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }

    /** The code's name, or {@link #UNKNOWN} for a value RFC 6886 does not define. */
    public static PmpResultCode of(int code) {
        for (PmpResultCode c : values()) {
            if (c.code == code) {
                return c;
            }
        }
        return UNKNOWN;
    }
}
