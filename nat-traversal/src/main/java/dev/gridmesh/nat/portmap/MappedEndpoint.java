package dev.gridmesh.nat.portmap;

import static java.util.Objects.requireNonNull;

import java.net.InetSocketAddress;

/**
 * A port mapping the gateway granted: peers reach {@code internalPort} on this host at {@code external}.
 *
 * @param lifetimeSeconds granted lifetime; 0 means "until deleted" (a UPnP v1 permanent lease)
 * @param grantedAtNanos when the grant (or last renewal) arrived, on the mapper's clock
 */
public record MappedEndpoint(PortMapProtocol protocol, InetSocketAddress external, int internalPort,
        long lifetimeSeconds, long grantedAtNanos) {
    public MappedEndpoint {
        requireNonNull(protocol, "protocol");
        requireNonNull(external, "external");
        PortMapChecks.port("internalPort", internalPort);
    }
}
