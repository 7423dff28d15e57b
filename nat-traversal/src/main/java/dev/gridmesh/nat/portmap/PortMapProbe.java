package dev.gridmesh.nat.portmap;

import static java.util.Objects.requireNonNull;

import java.net.InetAddress;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Which port mapping protocols the gateway answered (for {@code gridmesh netcheck}).
 *
 * @param available protocols whose server answered
 * @param externalAddress the external address a protocol reported (NAT-PMP, or UPnP GetExternalIPAddress)
 * @param notes per protocol, a short reason when it is not available ("timeout", "version 0 only", ...)
 */
public record PortMapProbe(Set<PortMapProtocol> available, Optional<InetAddress> externalAddress,
        Map<PortMapProtocol, String> notes) {
    public PortMapProbe {
        available = Set.copyOf(requireNonNull(available, "available"));
        requireNonNull(externalAddress, "externalAddress");
        notes = Map.copyOf(requireNonNull(notes, "notes"));
    }

    public boolean any() {
        return !available.isEmpty();
    }
}
