package dev.gridmesh.agent.metrics;

import dev.gridmesh.agent.control.ConnectionState;
import dev.gridmesh.agent.control.ControlClient;
import dev.gridmesh.agent.dataplane.DataPlane;
import dev.gridmesh.agent.dataplane.IoDrop;
import dev.gridmesh.agent.mesh.AgentStatus;
import dev.gridmesh.agent.mesh.MeshAgent;
import dev.gridmesh.agent.mesh.PeerPath;
import dev.gridmesh.agent.relay.RelayDrop;
import dev.gridmesh.protocol.wg.DropReason;
import dev.gridmesh.protocol.wg.WgPeerStatus;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.util.Map;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * Registers an agent's metrics as callbacks that read the counters the agent, its data plane, WireGuard engine and
 * relay path already keep; nothing is counted twice and nothing is added to the packet path. Names:
 * <pre>
 *   gridmesh_agent_peers{path}                       gauge   peers in the map by path (relay, direct)
 *   gridmesh_agent_peers_online                      gauge   peers the relay reports online
 *   gridmesh_agent_peers_with_session                gauge   peers with a completed WireGuard handshake
 *   gridmesh_agent_path_switches_total{to}           counter switches to direct / back to relay (current peers)
 *   gridmesh_agent_punches_total                     counter hole-punching sessions started (current peers)
 *   gridmesh_agent_handshakes_failed_total           counter handshake messages refused (engine HANDSHAKE_FAILED)
 *   gridmesh_agent_wireguard_bytes_total{direction}  counter WireGuard bytes rx/tx, summed over current peers
 *   gridmesh_agent_wireguard_packets_total{direction} counter WireGuard transport packets rx/tx since start
 *   gridmesh_agent_relay_frames_sent_total           counter datagrams sent over the relay connection
 *   gridmesh_agent_relay_bytes_sent_total            counter their bytes
 *   gridmesh_agent_drops_total{source,reason}        counter drops: engine (WireGuard), io (TUN/UDP), relay
 *   gridmesh_agent_relay_connected                   gauge   1 while registered with the relay
 *   gridmesh_agent_relay_connection_state{state}     gauge   1 for the current state
 *   gridmesh_agent_relay_connects_total              counter relay connection attempts that got TCP up
 *   gridmesh_agent_relay_registrations_total         counter successful registrations (first one + reconnects)
 *   gridmesh_agent_handshakes_total                  counter WireGuard handshakes completed
 *   gridmesh_agent_relay_queue_bytes                 gauge   bytes waiting to be written to the relay connection
 * </pre>
 * The per-peer sums drop when a peer is removed; Prometheus' rate() treats that as a counter reset.
 */
public final class AgentMetrics {
    private AgentMetrics() {
    }

    /** Registers the agent's metrics in {@code registry}; {@code agent} is read at every scrape. */
    public static void register(PrometheusRegistry registry, Supplier<MeshAgent> agent) {
        Objects.requireNonNull(registry, "registry");
        Objects.requireNonNull(agent, "agent");
        GaugeWithCallback.builder().name("gridmesh_agent_peers").help("Peers in the map by path.")
                .labelNames("path").callback(cb -> {
                    MeshAgent a = agent.get();
                    long relay = 0;
                    long direct = 0;
                    if (a != null) {
                        for (AgentStatus.Peer p : a.status().peers()) {
                            if (p.path().equals(PeerPath.DIRECT.label())) {
                                direct++;
                            } else {
                                relay++;
                            }
                        }
                    }
                    cb.call(relay, PeerPath.RELAY.label());
                    cb.call(direct, PeerPath.DIRECT.label());
                }).register(registry);
        GaugeWithCallback.builder().name("gridmesh_agent_peers_online").help("Peers the relay reports online.")
                .callback(cb -> {
                    MeshAgent a = agent.get();
                    cb.call(a == null ? 0 : a.status().peers().stream().filter(AgentStatus.Peer::online).count());
                }).register(registry);
        GaugeWithCallback.builder().name("gridmesh_agent_peers_with_session")
                .help("Peers with a completed WireGuard handshake.").callback(cb -> {
                    DataPlane dp = dataPlane(agent);
                    cb.call(dp == null ? 0 : dp.engine().peers().stream()
                            .filter(s -> s.lastHandshakeEpochMillis() != 0).count());
                }).register(registry);
        CounterWithCallback.builder().name("gridmesh_agent_path_switches_total")
                .help("Path switches to direct and back to the relay, summed over current peers.")
                .labelNames("to").callback(cb -> {
                    MeshAgent a = agent.get();
                    long toDirect = 0;
                    long toRelay = 0;
                    if (a != null) {
                        for (AgentStatus.Peer p : a.status().peers()) {
                            if (p.pathInfo() != null) {
                                toDirect += p.pathInfo().toDirect();
                                toRelay += p.pathInfo().toRelay();
                            }
                        }
                    }
                    cb.call(toDirect, "direct");
                    cb.call(toRelay, "relay");
                }).register(registry);
        CounterWithCallback.builder().name("gridmesh_agent_punches_total")
                .help("Hole-punching sessions started, summed over current peers.").callback(cb -> {
                    MeshAgent a = agent.get();
                    long n = 0;
                    if (a != null) {
                        for (AgentStatus.Peer p : a.status().peers()) {
                            n += p.pathInfo() == null ? 0 : p.pathInfo().punches();
                        }
                    }
                    cb.call(n);
                }).register(registry);
        CounterWithCallback.builder().name("gridmesh_agent_handshakes_failed_total")
                .help("WireGuard handshake messages refused.").callback(cb -> {
                    DataPlane dp = dataPlane(agent);
                    cb.call(dp == null ? 0 : dp.engine().dropCount(DropReason.HANDSHAKE_FAILED));
                }).register(registry);
        CounterWithCallback.builder().name("gridmesh_agent_handshakes_total")
                .help("WireGuard handshakes completed (initiator or responder).").callback(cb -> {
                    DataPlane dp = dataPlane(agent);
                    cb.call(dp == null ? 0 : dp.engine().handshakesCompleted());
                }).register(registry);
        GaugeWithCallback.builder().name("gridmesh_agent_relay_queue_bytes")
                .help("Bytes waiting in the relay connection's outbound buffer.").callback(cb -> {
                    ControlClient c = control(agent);
                    cb.call(c == null ? 0 : c.pendingWriteBytes());
                }).register(registry);
        CounterWithCallback.builder().name("gridmesh_agent_wireguard_bytes_total")
                .help("WireGuard bytes received (rx) and sent (tx), summed over current peers.")
                .labelNames("direction").callback(cb -> {
                    DataPlane dp = dataPlane(agent);
                    long rx = 0;
                    long tx = 0;
                    if (dp != null) {
                        for (WgPeerStatus s : dp.engine().peers()) {
                            rx += s.rxBytes();
                            tx += s.txBytes();
                        }
                    }
                    cb.call(rx, "rx");
                    cb.call(tx, "tx");
                }).register(registry);
        CounterWithCallback.builder().name("gridmesh_agent_wireguard_packets_total")
                .help("WireGuard transport packets received (rx, authenticated) and sent (tx), keepalives included.")
                .labelNames("direction").callback(cb -> {
                    DataPlane dp = dataPlane(agent);
                    cb.call(dp == null ? 0 : dp.engine().transportPacketsReceived(), "rx");
                    cb.call(dp == null ? 0 : dp.engine().transportPacketsSent(), "tx");
                }).register(registry);
        CounterWithCallback.builder().name("gridmesh_agent_relay_frames_sent_total")
                .help("Datagrams sent over the relay connection.").callback(cb -> {
                    MeshAgent a = agent.get();
                    cb.call(a == null ? 0 : a.relayPath().framesSent());
                }).register(registry);
        CounterWithCallback.builder().name("gridmesh_agent_relay_bytes_sent_total")
                .help("Bytes of datagrams sent over the relay connection.").callback(cb -> {
                    MeshAgent a = agent.get();
                    cb.call(a == null ? 0 : a.relayPath().bytesSent());
                }).register(registry);
        CounterWithCallback.builder().name("gridmesh_agent_drops_total")
                .help("Packets dropped, by where (engine, io, relay) and reason.").labelNames("source", "reason")
                .callback(cb -> {
                    MeshAgent a = agent.get();
                    DataPlane dp = dataPlane(agent);
                    Map<DropReason, Long> engine = dp == null ? Map.of() : dp.engine().dropCounts();
                    for (DropReason r : DropReason.values()) {
                        Long v = engine.get(r);
                        cb.call(v == null ? 0 : v, "engine", r.name());
                    }
                    for (IoDrop r : IoDrop.values()) {
                        cb.call(dp == null ? 0 : dp.ioDrops(r), "io", r.name());
                    }
                    for (RelayDrop r : RelayDrop.values()) {
                        cb.call(a == null ? 0 : a.relayPath().drops(r), "relay", r.name());
                    }
                }).register(registry);
        GaugeWithCallback.builder().name("gridmesh_agent_relay_connected")
                .help("1 while registered with the relay.").callback(cb -> {
                    ControlClient c = control(agent);
                    cb.call(c != null && c.state() == ConnectionState.CONNECTED ? 1 : 0);
                }).register(registry);
        GaugeWithCallback.builder().name("gridmesh_agent_relay_connection_state")
                .help("1 for the current relay connection state.").labelNames("state").callback(cb -> {
                    ControlClient c = control(agent);
                    ConnectionState now = c == null ? ConnectionState.CONNECTING : c.state();
                    for (ConnectionState s : ConnectionState.values()) {
                        cb.call(s == now ? 1 : 0, s.name());
                    }
                }).register(registry);
        CounterWithCallback.builder().name("gridmesh_agent_relay_connects_total")
                .help("Relay connections opened (first one and reconnects).").callback(cb -> {
                    ControlClient c = control(agent);
                    cb.call(c == null ? 0 : c.connects());
                }).register(registry);
        CounterWithCallback.builder().name("gridmesh_agent_relay_registrations_total")
                .help("Successful registrations with the relay.").callback(cb -> {
                    ControlClient c = control(agent);
                    cb.call(c == null ? 0 : c.registrations());
                }).register(registry);
    }

    private static DataPlane dataPlane(Supplier<MeshAgent> agent) {
        MeshAgent a = agent.get();
        return a == null ? null : a.dataPlane().orElse(null);
    }

    private static ControlClient control(Supplier<MeshAgent> agent) {
        MeshAgent a = agent.get();
        return a == null ? null : a.control();
    }
}
