/**
 * Port mapping on the local gateway (PCP, NAT-PMP, UPnP-IGD) so that peers can reach the agent's UDP socket directly.
 *
 * <h2>API used by the agent</h2>
 * <pre>{@code
 * InetAddress gateway = DefaultGateway.find().orElseThrow();    // from /proc/net/route
 * PortMapper mapper = new PortMapper(gateway, PortMapperOptions.defaults(), System::nanoTime,
 *         PortMapScheduler.of(scheduledExecutor));
 * mapper.onChange(ep -> ...);                                // optional: mapping appeared / changed / lost
 * Optional<MappedEndpoint> ep = mapper.start(localUdpPort);   // tries PCP, then NAT-PMP, then UPnP-IGD
 * PortMapProbe offered = mapper.probe();                     // for `gridmesh netcheck`: which protocols answer
 * mapper.mapped();                                           // the current external endpoint, if any
 * mapper.renewNow();                                         // e.g. after a network change
 * mapper.dropCounts();                                       // renewals, failures, bad answers by reason
 * mapper.close();                                            // deletes the mapping (best effort, bounded)
 * }</pre>
 * {@link dev.gridmesh.nat.portmap.MappedEndpoint} says which protocol holds the mapping, the external
 * address:port, the granted lifetime and when it was granted. {@link dev.gridmesh.nat.portmap.PortMapProbe} lists
 * the protocols that answered, the external address one of them reported, and a note per protocol.
 * {@link dev.gridmesh.nat.portmap.PortMapper#start} blocks for a bounded time (a few seconds at most: see
 * {@link dev.gridmesh.nat.portmap.PortMapperOptions}); the mapping is then renewed at half its lifetime on the given
 * scheduler, re-created when the gateway reports it lost its state (PCP/NAT-PMP epoch), and the change is reported to
 * the listener. A failed start is retried after a minute. Not done: listening for unsolicited PCP ANNOUNCE on port
 * 5350 (a gateway restart is noticed at the next renewal, from the epoch), IPv6 mappings, TCP mappings.
 *
 * <h2>Layers</h2>
 * Codecs are pure: {@link dev.gridmesh.nat.portmap.PmpCodec} (RFC 6886), {@link dev.gridmesh.nat.portmap.PcpCodec}
 * (RFC 6887), {@link dev.gridmesh.nat.portmap.SsdpCodec}, {@link dev.gridmesh.nat.portmap.IgdDescription} and
 * {@link dev.gridmesh.nat.portmap.IgdSoap} (UPnP-IGD v1/v2). Decoding never throws; it returns a typed error.
 * {@link dev.gridmesh.nat.portmap.PcpClient} and {@link dev.gridmesh.nat.portmap.PmpClient} are sans-I/O request
 * engines (fed bytes and {@code nowNanos}); {@link dev.gridmesh.nat.portmap.GatewayUdp} and
 * {@link dev.gridmesh.nat.portmap.UpnpIgdClient} are the thin I/O edges (DatagramChannel, java.net.http).
 */
package dev.gridmesh.nat.portmap;
