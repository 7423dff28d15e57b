package dev.gridmesh.testsupport.natlab;

import static java.util.Objects.requireNonNull;

import java.time.Duration;

/**
 * How a {@link NatBox} behaves, in the terms of RFC 4787.
 *
 * @param mapping when an internal endpoint gets a new external port (section 4.1)
 * @param filtering which inbound packets a mapping lets through (section 5)
 * @param mappingTimeout idle time after which a mapping is forgotten (section 4.3; RFC 4787 asks >= 2 min)
 * @param refreshOnInbound whether inbound packets also keep a mapping alive (REQ-6 makes outbound refresh mandatory)
 * @param hairpinning whether a packet from inside to the NAT's own public address loops back in (section 6)
 * @param portAllocation how external ports are picked (section 4.2)
 * @param udpBlocked whether the box drops all UDP (a firewall allowing only TCP)
 * @param seed seed for {@link PortAllocation#RANDOM}
 */
public record NatConfig(Mapping mapping, Filtering filtering, Duration mappingTimeout, boolean refreshOnInbound,
        boolean hairpinning, PortAllocation portAllocation, boolean udpBlocked, long seed) {

    /** RFC 4787 section 4.1 mapping behaviour. */
    public enum Mapping {
        ENDPOINT_INDEPENDENT, ADDRESS_DEPENDENT, ADDRESS_AND_PORT_DEPENDENT
    }

    /** RFC 4787 section 5 filtering behaviour. */
    public enum Filtering {
        ENDPOINT_INDEPENDENT, ADDRESS_DEPENDENT, ADDRESS_AND_PORT_DEPENDENT
    }

    /** External port choice. */
    public enum PortAllocation {
        /** Keep the internal port when free, else the next free one up (Linux MASQUERADE's habit). */
        PRESERVE,
        /** The next free port from a counter: predictable, what port prediction hopes for. */
        SEQUENTIAL,
        /** A seeded random free port (MASQUERADE --random-fully). */
        RANDOM
    }

    public NatConfig {
        requireNonNull(mapping, "mapping");
        requireNonNull(filtering, "filtering");
        requireNonNull(mappingTimeout, "mappingTimeout");
        requireNonNull(portAllocation, "portAllocation");
        if (mappingTimeout.isNegative() || mappingTimeout.isZero()) {
            throw new IllegalArgumentException("mappingTimeout: " + mappingTimeout + " (expected: > 0)");
        }
    }

    /** A home router: endpoint-independent mapping, address-and-port-dependent filtering, port preservation, no hairpin. */
    public static NatConfig easy() {
        return new NatConfig(Mapping.ENDPOINT_INDEPENDENT, Filtering.ADDRESS_AND_PORT_DEPENDENT, Duration.ofMinutes(2),
                false, false, PortAllocation.PRESERVE, false, 1);
    }

    /** Full cone: endpoint-independent mapping and filtering. */
    public static NatConfig fullCone() {
        return easy().withFiltering(Filtering.ENDPOINT_INDEPENDENT);
    }

    /** "Symmetric": address-and-port-dependent mapping and filtering, random ports (MASQUERADE --random-fully). */
    public static NatConfig symmetric() {
        return new NatConfig(Mapping.ADDRESS_AND_PORT_DEPENDENT, Filtering.ADDRESS_AND_PORT_DEPENDENT,
                Duration.ofMinutes(2), false, false, PortAllocation.RANDOM, false, 1);
    }

    /** A firewall that lets no UDP through at all. */
    public static NatConfig udpBlockedFirewall() {
        return easy().withUdpBlocked(true);
    }

    public NatConfig withMapping(Mapping m) {
        return new NatConfig(m, filtering, mappingTimeout, refreshOnInbound, hairpinning, portAllocation, udpBlocked, seed);
    }

    public NatConfig withFiltering(Filtering f) {
        return new NatConfig(mapping, f, mappingTimeout, refreshOnInbound, hairpinning, portAllocation, udpBlocked, seed);
    }

    public NatConfig withMappingTimeout(Duration t) {
        return new NatConfig(mapping, filtering, t, refreshOnInbound, hairpinning, portAllocation, udpBlocked, seed);
    }

    public NatConfig withRefreshOnInbound(boolean r) {
        return new NatConfig(mapping, filtering, mappingTimeout, r, hairpinning, portAllocation, udpBlocked, seed);
    }

    public NatConfig withHairpinning(boolean h) {
        return new NatConfig(mapping, filtering, mappingTimeout, refreshOnInbound, h, portAllocation, udpBlocked, seed);
    }

    public NatConfig withPortAllocation(PortAllocation p) {
        return new NatConfig(mapping, filtering, mappingTimeout, refreshOnInbound, hairpinning, p, udpBlocked, seed);
    }

    public NatConfig withUdpBlocked(boolean b) {
        return new NatConfig(mapping, filtering, mappingTimeout, refreshOnInbound, hairpinning, portAllocation, b, seed);
    }

    public NatConfig withSeed(long s) {
        return new NatConfig(mapping, filtering, mappingTimeout, refreshOnInbound, hairpinning, portAllocation, udpBlocked, s);
    }
}
