/**
 * Port mapping on the local gateway (PCP, NAT-PMP, UPnP-IGD) so that peers can reach the agent's UDP socket directly.
 *
 * <h2>API used by the agent</h2>
 * <pre>{@code
 * PortMapper mapper = new PortMapper(gateway, PortMapperOptions.defaults(), System::nanoTime,
 *         PortMapScheduler.of(scheduledExecutor));
 * Optional<MappedEndpoint> ep = mapper.start(localUdpPort);   // tries PCP, then NAT-PMP, then UPnP-IGD
 * PortMapProbe offered = mapper.probe();                     // for `gridmesh netcheck`: which protocols answer
 * mapper.close();                                            // deletes the mapping (best effort, bounded)
 * }</pre>
 * The gateway is normally {@link dev.gridmesh.nat.portmap.DefaultGateway#find()} (from {@code /proc/net/route}).
 * {@link dev.gridmesh.nat.portmap.PortMapper#start} blocks for a bounded time (a few seconds at most: see
 * {@link dev.gridmesh.nat.portmap.PortMapperOptions}); the mapping is then renewed at half its lifetime on the given
 * scheduler, re-created when the gateway reports it lost its state (PCP/NAT-PMP epoch), and the change is reported to
 * an optional listener. {@link dev.gridmesh.nat.portmap.PortMapper#mapped()} gives the current external endpoint.
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
