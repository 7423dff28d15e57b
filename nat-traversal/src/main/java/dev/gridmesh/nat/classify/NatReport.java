package dev.gridmesh.nat.classify;

import static java.util.Objects.requireNonNull;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * The result of NAT classification, as {@code gridmesh netcheck} prints it.
 *
 * @param udp whether any server answered over UDP
 * @param mapping the mapping behaviour
 * @param publicEndpoints the distinct reflexive addresses seen, in the order first seen
 * @param acrossAddresses whether the answering servers differed in IP address, not only port: only then can an
 *     address-dependent mapping be told from an endpoint-independent one (with ports alone, it looks independent)
 * @param observations the raw results, one per server endpoint probed
 */
public record NatReport(boolean udp, MappingBehavior mapping, List<InetSocketAddress> publicEndpoints,
        boolean acrossAddresses, List<BindingObservation> observations) {
    public NatReport {
        requireNonNull(mapping, "mapping");
        publicEndpoints = List.copyOf(publicEndpoints);
        observations = List.copyOf(observations);
    }

    /** The smallest round-trip time among the answers. */
    public Optional<Duration> bestRtt() {
        return observations.stream().filter(BindingObservation::answered).mapToLong(BindingObservation::rttNanos).min()
                .stream().mapToObj(Duration::ofNanos).findFirst();
    }

    /** Whether peers may reach us at {@link #publicEndpoints()} (no NAT or endpoint-independent mapping). */
    public boolean reflexiveUsableByPeers() {
        return mapping == MappingBehavior.NO_NAT || mapping == MappingBehavior.ENDPOINT_INDEPENDENT;
    }
}
