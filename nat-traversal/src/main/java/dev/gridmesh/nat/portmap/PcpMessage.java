package dev.gridmesh.nat.portmap;

import static java.util.Objects.requireNonNull;

import java.net.InetAddress;
import java.util.Arrays;
import java.util.HexFormat;

/** PCP messages (RFC 6887): ANNOUNCE and MAP. Encoded and decoded by {@link PcpCodec}. */
public sealed interface PcpMessage {
    /** IANA protocol number for UDP, used in MAP. */
    int PROTOCOL_UDP = 17;
    int PROTOCOL_TCP = 6;

    /** The 96-bit mapping nonce (section 11.1): chosen at random per mapping, repeated on renew and delete. */
    record Nonce(byte[] bytes) {
        public Nonce {
            requireNonNull(bytes, "bytes");
            if (bytes.length != 12) {
                throw new IllegalArgumentException("nonce: " + bytes.length + " bytes (expected: 12)");
            }
            bytes = bytes.clone();
        }

        @Override
        public byte[] bytes() {
            return bytes.clone();
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Nonce n && Arrays.equals(bytes, n.bytes);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(bytes);
        }

        @Override
        public String toString() {
            return "Nonce[" + HexFormat.of().formatHex(bytes) + "]";
        }
    }

    /** Opcode 0 request: "are you there, and what is your epoch?" (24 bytes; lifetime 0). */
    record AnnounceRequest(InetAddress clientAddress) implements PcpMessage {
        public AnnounceRequest {
            requireNonNull(clientAddress, "clientAddress");
        }
    }

    /**
     * Opcode 1 request (60 bytes). Lifetime 0 deletes the mapping with this nonce. {@code suggestedExternalAddress}
     * is the all-zeros address of the family when the client has no preference.
     */
    record MapRequest(long lifetimeSeconds, InetAddress clientAddress, Nonce nonce, int protocol, int internalPort,
            int suggestedExternalPort, InetAddress suggestedExternalAddress) implements PcpMessage {
        public MapRequest {
            PortMapChecks.u32("lifetimeSeconds", lifetimeSeconds);
            requireNonNull(clientAddress, "clientAddress");
            requireNonNull(nonce, "nonce");
            requireNonNull(suggestedExternalAddress, "suggestedExternalAddress");
            if (protocol < 0 || protocol > 255) {
                throw new IllegalArgumentException("protocol: " + protocol + " (expected: 0..255)");
            }
            PortMapChecks.port("internalPort", internalPort);
            PortMapChecks.portOrZero("suggestedExternalPort", suggestedExternalPort);
        }
    }

    /**
     * Opcode 0 response: the server's epoch. Sent solicited (answer to {@link AnnounceRequest}) or unsolicited after
     * the server lost its state (section 14.1.3).
     */
    record AnnounceResponse(PcpResultCode result, int rawResult, long lifetimeSeconds, long epochSeconds)
            implements PcpMessage {
        public AnnounceResponse {
            requireNonNull(result, "result");
        }
    }

    /**
     * Opcode 1 response. On success, the mapping granted; on error, {@code lifetimeSeconds} is how long the error
     * holds (section 7.4) and the address/port fields echo the request.
     */
    record MapResponse(PcpResultCode result, int rawResult, long lifetimeSeconds, long epochSeconds, Nonce nonce,
            int protocol, int internalPort, int assignedExternalPort, InetAddress assignedExternalAddress)
            implements PcpMessage {
        public MapResponse {
            requireNonNull(result, "result");
            requireNonNull(nonce, "nonce");
            requireNonNull(assignedExternalAddress, "assignedExternalAddress");
        }
    }

    /**
     * A reply whose version byte is not 2: a NAT-PMP-only server answers a PCP request with a NAT-PMP
     * "unsupported version" response (version 0), and a PCP server of another version with its own (section 9).
     */
    record OtherVersion(int version, int rawResult) implements PcpMessage { }
}
