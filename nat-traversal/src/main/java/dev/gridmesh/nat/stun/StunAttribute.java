package dev.gridmesh.nat.stun;

import static java.util.Objects.requireNonNull;

import java.net.InetSocketAddress;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;

/**
 * One STUN attribute (RFC 8489 section 14, RFC 5780 section 7). Attributes this codebase interprets have their own
 * record; everything else, known or not, decodes to {@link Raw} so that a message round-trips and the comprehension
 * check ({@link StunAttributeType#isComprehensionRequired}) can see it.
 */
public sealed interface StunAttribute {

    /** The 16-bit attribute type on the wire. */
    int type();

    /** MAPPED-ADDRESS (0x0001): the reflexive address in the clear, for RFC 3489-era clients. */
    record MappedAddress(InetSocketAddress address) implements StunAttribute {
        public MappedAddress {
            requireNonNull(address, "address");
        }

        @Override
        public int type() {
            return StunAttributeType.MAPPED_ADDRESS;
        }
    }

    /** XOR-MAPPED-ADDRESS (0x0020): the reflexive address, XORed with the magic cookie and transaction id on the wire. */
    record XorMappedAddress(InetSocketAddress address) implements StunAttribute {
        public XorMappedAddress {
            requireNonNull(address, "address");
        }

        @Override
        public int type() {
            return StunAttributeType.XOR_MAPPED_ADDRESS;
        }
    }

    /** RESPONSE-ORIGIN (0x802B, RFC 5780): the address and port the response was sent from. */
    record ResponseOrigin(InetSocketAddress address) implements StunAttribute {
        public ResponseOrigin {
            requireNonNull(address, "address");
        }

        @Override
        public int type() {
            return StunAttributeType.RESPONSE_ORIGIN;
        }
    }

    /** OTHER-ADDRESS (0x802C, RFC 5780): the server's alternate address and port, for mapping-behaviour tests. */
    record OtherAddress(InetSocketAddress address) implements StunAttribute {
        public OtherAddress {
            requireNonNull(address, "address");
        }

        @Override
        public int type() {
            return StunAttributeType.OTHER_ADDRESS;
        }
    }

    /** CHANGE-REQUEST (0x0003, RFC 5780): asks the server to answer from another IP and/or port. */
    record ChangeRequest(boolean changeIp, boolean changePort) implements StunAttribute {
        @Override
        public int type() {
            return StunAttributeType.CHANGE_REQUEST;
        }
    }

    /** SOFTWARE (0x8022): a description of the agent, at most 127 characters. */
    record Software(String description) implements StunAttribute {
        public Software {
            requireNonNull(description, "description");
        }

        @Override
        public int type() {
            return StunAttributeType.SOFTWARE;
        }
    }

    /**
     * FINGERPRINT (0x8028): CRC-32 of the message up to this attribute, XOR 0x5354554e. When encoding, the codec
     * computes the value and ignores {@code crc}; it must be the last attribute.
     */
    record Fingerprint(int crc) implements StunAttribute {
        @Override
        public int type() {
            return StunAttributeType.FINGERPRINT;
        }
    }

    /** ERROR-CODE (0x0009): a code in 300..699 and a reason phrase. */
    record ErrorCode(int code, String reason) implements StunAttribute {
        public static final int TRY_ALTERNATE = 300;
        public static final int BAD_REQUEST = 400;
        public static final int UNAUTHENTICATED = 401;
        public static final int UNKNOWN_ATTRIBUTE = 420;
        public static final int STALE_NONCE = 438;
        public static final int SERVER_ERROR = 500;

        public ErrorCode {
            requireNonNull(reason, "reason");
            if (code < 300 || code > 699) {
                throw new IllegalArgumentException("error code: " + code + " (expected: 300..699)");
            }
        }

        @Override
        public int type() {
            return StunAttributeType.ERROR_CODE;
        }
    }

    /** UNKNOWN-ATTRIBUTES (0x000A): the comprehension-required types a 420 response did not understand. */
    record UnknownAttributes(List<Integer> types) implements StunAttribute {
        public UnknownAttributes {
            types = List.copyOf(types);
        }

        @Override
        public int type() {
            return StunAttributeType.UNKNOWN_ATTRIBUTES;
        }
    }

    /** Any other attribute, its value kept verbatim (without padding). */
    record Raw(int type, byte[] value) implements StunAttribute {
        public Raw {
            if (type < 0 || type > 0xFFFF) {
                throw new IllegalArgumentException("attribute type: " + type + " (expected: 0..65535)");
            }
            value = value.clone();
        }

        @Override
        public byte[] value() {
            return value.clone();
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Raw r && r.type == type && Arrays.equals(r.value, value);
        }

        @Override
        public int hashCode() {
            return type * 31 + Arrays.hashCode(value);
        }

        @Override
        public String toString() {
            return "Raw[type=0x%04x, value=%s]".formatted(type, HexFormat.of().formatHex(value));
        }
    }
}
