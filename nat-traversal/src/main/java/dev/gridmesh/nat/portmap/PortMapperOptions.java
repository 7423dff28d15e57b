package dev.gridmesh.nat.portmap;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.util.EnumSet;
import java.util.Set;

/**
 * Tunables of {@link PortMapper}. The ports are the protocols' well-known ones by default; tests point them at fakes
 * on loopback.
 *
 * @param lifetime requested mapping lifetime (renewed at half of what the gateway grants)
 * @param initialRto first PCP/NAT-PMP retransmission timeout, doubled per attempt
 * @param maxAttempts PCP/NAT-PMP sends per request (with 250 ms and 3: gives up after 1.75 s)
 * @param httpTimeout bound for each SSDP wait and each HTTP request of UPnP-IGD
 * @param pcpPort gateway port of PCP and NAT-PMP (5351)
 * @param ssdpPort SSDP port (1900): M-SEARCH goes to the gateway on it, and to 239.255.255.250 when
 *     {@code ssdpMulticast}
 * @param ssdpMulticast also send M-SEARCH to the SSDP multicast group, out of the interface facing the gateway only
 * @param description UPnP NewPortMappingDescription
 * @param protocols which protocols to try
 */
public record PortMapperOptions(Duration lifetime, Duration initialRto, int maxAttempts, Duration httpTimeout,
        int pcpPort, int ssdpPort, boolean ssdpMulticast, String description, Set<PortMapProtocol> protocols) {
    public PortMapperOptions {
        requireNonNull(lifetime, "lifetime");
        requireNonNull(initialRto, "initialRto");
        requireNonNull(httpTimeout, "httpTimeout");
        requireNonNull(description, "description");
        requireNonNull(protocols, "protocols");
        if (lifetime.toSeconds() < 2 || lifetime.toSeconds() > 0xFFFF_FFFFL) {
            throw new IllegalArgumentException("lifetime: " + lifetime + " (expected: 2 s .. 2^32-1 s)");
        }
        if (maxAttempts < 1 || maxAttempts > 9) {
            throw new IllegalArgumentException("maxAttempts: " + maxAttempts + " (expected: 1..9)");
        }
        if (httpTimeout.isNegative() || httpTimeout.isZero()) {
            throw new IllegalArgumentException("httpTimeout: " + httpTimeout + " (expected: > 0)");
        }
        PortMapChecks.port("pcpPort", pcpPort);
        PortMapChecks.port("ssdpPort", ssdpPort);
        protocols = protocols.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(protocols));
    }

    /** 2 h lifetime, 250 ms x 3 attempts, 2 s HTTP/SSDP timeout, standard ports, all protocols. */
    public static PortMapperOptions defaults() {
        return new PortMapperOptions(Duration.ofHours(2), Duration.ofMillis(250), 3, Duration.ofSeconds(2),
                PcpCodec.SERVER_PORT, SsdpCodec.PORT, true, "gridmesh", EnumSet.allOf(PortMapProtocol.class));
    }

    public PortMapperOptions withPorts(int pcpPort, int ssdpPort, boolean ssdpMulticast) {
        return new PortMapperOptions(lifetime, initialRto, maxAttempts, httpTimeout, pcpPort, ssdpPort, ssdpMulticast,
                description, protocols);
    }

    public PortMapperOptions withProtocols(Set<PortMapProtocol> protocols) {
        return new PortMapperOptions(lifetime, initialRto, maxAttempts, httpTimeout, pcpPort, ssdpPort, ssdpMulticast,
                description, protocols);
    }

    public PortMapperOptions withLifetime(Duration lifetime) {
        return new PortMapperOptions(lifetime, initialRto, maxAttempts, httpTimeout, pcpPort, ssdpPort, ssdpMulticast,
                description, protocols);
    }
}
