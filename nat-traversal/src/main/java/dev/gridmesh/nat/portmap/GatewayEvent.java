package dev.gridmesh.nat.portmap;

import java.net.InetAddress;

/** What a sans-I/O gateway engine ({@link PcpClient}, {@link PmpClient}) reports; drained with {@code pollEvent()}. */
public sealed interface GatewayEvent {
    /** The gateway granted a mapping. {@code externalAddress} is null when the gateway did not say (never for PCP). */
    record Mapped(InetAddress externalAddress, int externalPort, long lifetimeSeconds) implements GatewayEvent { }

    /** The gateway confirmed a deletion. */
    record Deleted() implements GatewayEvent { }

    /** The gateway answered a probe (PCP ANNOUNCE, NAT-PMP external address). Address null when not reported. */
    record Answered(long epochSeconds, InetAddress externalAddress) implements GatewayEvent { }

    /**
     * The gateway refused with a result code.
     *
     * @param transientError true when asking again later may succeed
     */
    record Refused(String code, int rawCode, boolean transientError) implements GatewayEvent { }

    /** The gateway speaks another version of the protocol (a NAT-PMP-only box answering PCP). */
    record NotSupported(String why) implements GatewayEvent { }

    /** No valid answer after every retransmission. */
    record TimedOut(int attempts) implements GatewayEvent { }

    /**
     * The gateway lost its mapping state (epoch went back or drifted, RFC 6887 section 8.5 / RFC 6886 section 3.6,
     * or an unsolicited PCP ANNOUNCE): every mapping must be requested again.
     */
    record StateLost(long epochSeconds) implements GatewayEvent { }
}
