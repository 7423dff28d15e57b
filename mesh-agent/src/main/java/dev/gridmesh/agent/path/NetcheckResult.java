package dev.gridmesh.agent.path;

import java.util.List;

/**
 * The local API's {@code netcheck} result.
 *
 * @param udp              a STUN server answered over UDP
 * @param mapping          NO_NAT, ENDPOINT_INDEPENDENT, ENDPOINT_DEPENDENT or UNKNOWN
 * @param acrossAddresses  the STUN servers differed in address (not only port)
 * @param publicEndpoints  reflexive endpoints seen by the STUN servers
 * @param localEndpoints   interface addresses with the WireGuard port
 * @param portMapping      protocols the gateway answered (PCP, NAT_PMP, UPNP_IGD); empty when none or not asked
 * @param mappedEndpoint   the external endpoint of the mapping held, or null
 * @param relayRttMillis   best STUN round trip to the relay's STUN servers, -1 when none answered
 * @param stunServers      the servers asked
 * @param candidates       what peers are told
 */
public record NetcheckResult(boolean udp, String mapping, boolean acrossAddresses, List<String> publicEndpoints,
        List<String> localEndpoints, List<String> portMapping, String mappedEndpoint, double relayRttMillis,
        List<String> stunServers, List<String> candidates) {
}
