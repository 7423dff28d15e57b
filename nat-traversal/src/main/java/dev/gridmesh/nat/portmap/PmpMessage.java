package dev.gridmesh.nat.portmap;

import static java.util.Objects.requireNonNull;

import java.net.Inet4Address;

/** NAT-PMP messages (RFC 6886). Encoded and decoded by {@link PmpCodec}. */
public sealed interface PmpMessage {
    /** Transport of a mapping: NAT-PMP opcode 1 (UDP) or 2 (TCP). */
    enum Transport {
        UDP(1), TCP(2);

        final int opcode;

        Transport(int opcode) {
            this.opcode = opcode;
        }
    }

    /** Opcode 0: what is the gateway's external address? (2 bytes) */
    record ExternalAddressRequest() implements PmpMessage { }

    /**
     * Opcode 1/2: map {@code internalPort}; {@code lifetimeSeconds} 0 with {@code suggestedExternalPort} 0 deletes it.
     */
    record MapRequest(Transport transport, int internalPort, int suggestedExternalPort, long lifetimeSeconds)
            implements PmpMessage {
        public MapRequest {
            requireNonNull(transport, "transport");
            PortMapChecks.port("internalPort", internalPort);
            PortMapChecks.portOrZero("suggestedExternalPort", suggestedExternalPort);
            PortMapChecks.u32("lifetimeSeconds", lifetimeSeconds);
        }
    }

    /** Opcode 128: success; the gateway's external IPv4 address. */
    record ExternalAddressResponse(long epochSeconds, Inet4Address externalAddress) implements PmpMessage {
        public ExternalAddressResponse {
            requireNonNull(externalAddress, "externalAddress");
            PortMapChecks.u32("epochSeconds", epochSeconds);
        }
    }

    /** Opcode 129/130: success; the mapping granted (lifetime 0 confirms a deletion). */
    record MapResponse(Transport transport, long epochSeconds, int internalPort, int externalPort,
            long lifetimeSeconds) implements PmpMessage {
        public MapResponse {
            requireNonNull(transport, "transport");
            PortMapChecks.u32("epochSeconds", epochSeconds);
            PortMapChecks.portOrZero("internalPort", internalPort);
            PortMapChecks.portOrZero("externalPort", externalPort);
            PortMapChecks.u32("lifetimeSeconds", lifetimeSeconds);
        }
    }

    /**
     * Any response with a non-zero result code (RFC 6886 section 3.5); such responses may stop after the epoch.
     *
     * @param opcode the request opcode this answers (response opcode minus 128)
     */
    record ErrorResponse(int opcode, PmpResultCode result, int rawResult, long epochSeconds) implements PmpMessage {
        public ErrorResponse {
            requireNonNull(result, "result");
        }
    }
}
