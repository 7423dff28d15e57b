package dev.gridmesh.nat.classify;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Classifies NAT mapping behaviour from Binding results (RFC 5780 section 4.3, reduced to what one socket and a
 * relay answering on two endpoints can test). A pure function.
 *
 * <ul>
 *   <li>no server answered: UDP is blocked (or every server is down) - {@code udp=false}, mapping UNKNOWN;
 *   <li>every answer is one of our local addresses: NO_NAT;
 *   <li>two or more answers, all equal: ENDPOINT_INDEPENDENT;
 *   <li>two or more answers that differ: ENDPOINT_DEPENDENT;
 *   <li>a single answer that is not local: UNKNOWN (nothing to compare).
 * </ul>
 */
public final class NatClassifier {
    private NatClassifier() {}

    /**
     * @param localAddresses the socket's own address(es): for a wildcard-bound socket, each interface address with
     *     the socket's port; may be empty when unknown (then NO_NAT is never concluded)
     */
    public static NatReport classify(Set<InetSocketAddress> localAddresses, List<BindingObservation> observations) {
        Set<InetSocketAddress> endpoints = new LinkedHashSet<>();
        Set<InetAddress> serverIps = new HashSet<>();
        int answered = 0;
        for (BindingObservation o : observations) {
            if (o.answered()) {
                answered++;
                endpoints.add(o.mapped());
                serverIps.add(o.server().getAddress());
            }
        }
        List<InetSocketAddress> publicEndpoints = new ArrayList<>(endpoints);
        boolean acrossAddresses = serverIps.size() > 1;
        if (answered == 0) {
            return new NatReport(false, MappingBehavior.UNKNOWN, publicEndpoints, false, observations);
        }
        MappingBehavior m;
        if (localAddresses.containsAll(endpoints)) {
            m = MappingBehavior.NO_NAT;
        } else if (endpoints.size() > 1) {
            m = MappingBehavior.ENDPOINT_DEPENDENT;
        } else if (answered >= 2) {
            m = MappingBehavior.ENDPOINT_INDEPENDENT;
        } else {
            m = MappingBehavior.UNKNOWN;
        }
        return new NatReport(true, m, publicEndpoints, acrossAddresses, observations);
    }
}
