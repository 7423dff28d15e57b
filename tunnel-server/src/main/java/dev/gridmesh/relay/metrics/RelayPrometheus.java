package dev.gridmesh.relay.metrics;

import dev.gridmesh.nat.stun.StunServer;
import dev.gridmesh.relay.server.RelayCounter;
import dev.gridmesh.relay.server.RelayServer;
import dev.gridmesh.protocol.stream.StreamDrop;
import dev.gridmesh.relay.tunnel.TunnelCounters;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Registers a relay's metrics as callbacks over {@link dev.gridmesh.relay.server.RelayMetrics} (the counters the
 * relay already keeps), its hub and its STUN engine:
 * <pre>
 *   gridmesh_relay_connections_accepted_total      counter TCP connections accepted
 *   gridmesh_relay_nodes_online                    gauge   registered agents connected now
 *   gridmesh_relay_nodes_known                     gauge   nodes in the registry
 *   gridmesh_relay_registrations_total{outcome}    counter admitted (token), authenticated (node key), or the refusal
 *   gridmesh_relay_packets_relayed_total           counter PACKET frames forwarded between agents
 *   gridmesh_relay_bytes_relayed_total             counter their bytes
 *   gridmesh_relay_drops_total{reason}             counter frames discarded (connection kept)
 *   gridmesh_relay_refusals_total{reason}          counter connections closed by the relay, by reason
 *   gridmesh_relay_health_checks_total             counter GET /healthz answered
 *   gridmesh_relay_stun_requests_total             counter STUN datagrams received
 *   gridmesh_relay_stun_responses_total            counter Binding success responses sent
 *   gridmesh_relay_stun_drops_total{reason}        counter STUN datagrams dropped
 *   gridmesh_relay_queue_bytes                     gauge   bytes waiting to be written to online agents (sum)
 *   gridmesh_relay_queue_bytes_max                 gauge   the fullest agent connection's waiting bytes
 *   gridmesh_relay_tunnel_streams_open             gauge   engineer tunnel streams open now
 *   gridmesh_relay_tunnel_streams_total{outcome}   counter tunnel streams opened (handed to an agent) / denied (all
 *                                                          refusals, as tunnel_denied_total summed)
 *   gridmesh_relay_tunnel_streams_accepted_total   counter streams the agent accepted (connected to its port)
 *   gridmesh_relay_tunnel_streams_closed_total{result}     counter accepted streams ended: ok (both half-closes) / reset
 *   gridmesh_relay_tunnel_denied_total{reason}     counter refusals: token, policy, no_such_node, node_offline,
 *                                                          agent_allow_list, connect_failed, timeout, other
 *   gridmesh_relay_tunnel_bytes_total{direction}   counter stream bytes through the joiner: to_node / from_node
 *   gridmesh_relay_tunnel_stream_drops_total{leg,reason} counter stream frames refused by the protocol (StreamDrop):
 *                                                          leg engineer / node; reason flow_control, unknown_stream, ...
 *   gridmesh_relay_tunnel_idle_closed_total        counter engineer connections closed with no stream and no traffic
 *   gridmesh_relay_peermap_full_maps_total{cause}  counter full peer maps sent: connect / behind (a connection that
 *                                                          fell behind the change log)
 *   gridmesh_relay_peermap_writes_total            counter batched writes of peer-map deltas
 *   gridmesh_relay_peermap_deltas_total            counter peer-map deltas sent (summed over connections)
 *   gridmesh_relay_cluster_packets_total{direction,outcome} counter packets over relay links (several relays on
 *                                                          one etcd): out/in x forwarded/dropped; 0 without a cluster
 *   gridmesh_relay_cluster_link_errors_total{reason} counter bad_frame / auth_failed on relay links
 *   gridmesh_relay_cluster_links_opened_total      counter relay links opened
 *   gridmesh_relay_cluster_stream_links_total{outcome} counter stream links to other relays: opened / failed
 *   gridmesh_relay_cluster_watch_events_total      counter etcd watch events applied
 * </pre>
 */
public final class RelayPrometheus {
    /** Refusals that are registration outcomes (the rest are transport/protocol refusals). */
    static final Set<RelayCounter> REGISTRATION_REFUSALS = EnumSet.of(RelayCounter.AUTH_FAILED,
            RelayCounter.TOKEN_INVALID, RelayCounter.TOKEN_EXPIRED, RelayCounter.TOKEN_USED_UP,
            RelayCounter.UNKNOWN_NODE, RelayCounter.ADDRESS_EXHAUSTED, RelayCounter.REGISTRATION_REPLAYED,
            RelayCounter.NODE_REMOVED);

    private RelayPrometheus() {
    }

    public static void register(PrometheusRegistry registry, RelayServer relay) {
        Objects.requireNonNull(registry, "registry");
        Objects.requireNonNull(relay, "relay");
        var m = relay.metrics();
        counter(registry, "gridmesh_relay_connections_accepted_total", "TCP connections accepted.", relay,
                RelayCounter.CONNECTIONS_ACCEPTED);
        counter(registry, "gridmesh_relay_packets_relayed_total", "PACKET frames forwarded between agents.", relay,
                RelayCounter.PACKETS_RELAYED);
        counter(registry, "gridmesh_relay_bytes_relayed_total", "Bytes of PACKET frames forwarded.", relay,
                RelayCounter.BYTES_RELAYED);
        counter(registry, "gridmesh_relay_health_checks_total", "GET /healthz answered.", relay,
                RelayCounter.HEALTH_CHECKS);
        GaugeWithCallback.builder().name("gridmesh_relay_nodes_online").help("Registered agents connected now.")
                .callback(cb -> cb.call(relay.hub().onlineCount())).register(registry);
        GaugeWithCallback.builder().name("gridmesh_relay_nodes_known").help("Nodes in the registry.")
                .callback(cb -> cb.call(relay.hub().snapshot().size())).register(registry);
        CounterWithCallback.builder().name("gridmesh_relay_registrations_total")
                .help("Registrations by outcome: admitted (join token), authenticated (node key), or the refusal.")
                .labelNames("outcome").callback(cb -> {
                    cb.call(m.get(RelayCounter.NODES_ADMITTED), "admitted");
                    cb.call(m.get(RelayCounter.NODES_AUTHENTICATED), "authenticated");
                    for (RelayCounter c : REGISTRATION_REFUSALS) {
                        cb.call(m.get(c), c.name());
                    }
                }).register(registry);
        CounterWithCallback.builder().name("gridmesh_relay_drops_total")
                .help("Frames discarded with the connection kept, by reason.").labelNames("reason").callback(cb -> {
                    for (RelayCounter c : RelayCounter.values()) {
                        if (c.kind() == RelayCounter.Kind.DROP) {
                            cb.call(m.get(c), c.name());
                        }
                    }
                }).register(registry);
        CounterWithCallback.builder().name("gridmesh_relay_refusals_total")
                .help("Connections closed by the relay, by reason.").labelNames("reason").callback(cb -> {
                    for (RelayCounter c : RelayCounter.values()) {
                        if (c.kind() == RelayCounter.Kind.REFUSAL) {
                            cb.call(m.get(c), c.name());
                        }
                    }
                }).register(registry);
        CounterWithCallback.builder().name("gridmesh_relay_stun_requests_total")
                .help("STUN datagrams received.").callback(cb -> {
                    StunServer s = relay.stunEngine();
                    cb.call(s == null ? 0 : s.datagrams());
                }).register(registry);
        CounterWithCallback.builder().name("gridmesh_relay_stun_responses_total")
                .help("STUN Binding success responses sent.").callback(cb -> {
                    StunServer s = relay.stunEngine();
                    cb.call(s == null ? 0 : s.successes());
                }).register(registry);
        CounterWithCallback.builder().name("gridmesh_relay_stun_drops_total")
                .help("STUN datagrams dropped, by reason.").labelNames("reason").callback(cb -> {
                    StunServer s = relay.stunEngine();
                    for (StunServer.DropReason r : StunServer.DropReason.values()) {
                        cb.call(s == null ? 0 : s.drops(r), r.name());
                    }
                }).register(registry);
        GaugeWithCallback.builder().name("gridmesh_relay_queue_bytes")
                .help("Bytes waiting in the outbound buffers of online agents' connections (sum).")
                .callback(cb -> cb.call(relay.hub().queuedBytes()[0])).register(registry);
        GaugeWithCallback.builder().name("gridmesh_relay_queue_bytes_max")
                .help("Bytes waiting in the fullest online agent connection's outbound buffer.")
                .callback(cb -> cb.call(relay.hub().queuedBytes()[1])).register(registry);
        CounterWithCallback.builder().name("gridmesh_relay_peermap_full_maps_total")
                .help("Full peer maps sent: on connect, or to a connection that fell behind the change log.")
                .labelNames("cause").callback(cb -> {
                    long[] f = relay.hub().fanoutCounts();
                    cb.call(f[0] - f[1], "connect");
                    cb.call(f[1], "behind");
                }).register(registry);
        CounterWithCallback.builder().name("gridmesh_relay_peermap_writes_total")
                .help("Batched writes of peer-map deltas.")
                .callback(cb -> cb.call(relay.hub().fanoutCounts()[2])).register(registry);
        CounterWithCallback.builder().name("gridmesh_relay_peermap_deltas_total")
                .help("Peer-map deltas sent, summed over connections.")
                .callback(cb -> cb.call(relay.hub().fanoutCounts()[3])).register(registry);
        CounterWithCallback.builder().name("gridmesh_relay_cluster_packets_total")
                .help("Packets over relay-to-relay links, by direction and outcome (0 without a cluster).")
                .labelNames("direction", "outcome").callback(cb -> {
                    Map<String, Long> c = cluster(relay);
                    cb.call(c.getOrDefault("packets_forwarded", 0L), "out", "forwarded");
                    cb.call(c.getOrDefault("packets_forward_dropped", 0L), "out", "dropped");
                    cb.call(c.getOrDefault("packets_received", 0L), "in", "forwarded");
                    cb.call(c.getOrDefault("packets_receive_dropped", 0L), "in", "dropped");
                }).register(registry);
        CounterWithCallback.builder().name("gridmesh_relay_cluster_link_errors_total")
                .help("Relay link frames refused: bad_frame, auth_failed.").labelNames("reason").callback(cb -> {
                    Map<String, Long> c = cluster(relay);
                    cb.call(c.getOrDefault("link_bad_frames", 0L), "bad_frame");
                    cb.call(c.getOrDefault("link_auth_failed", 0L), "auth_failed");
                }).register(registry);
        CounterWithCallback.builder().name("gridmesh_relay_cluster_links_opened_total")
                .help("Relay-to-relay links opened.")
                .callback(cb -> cb.call(cluster(relay).getOrDefault("links_opened", 0L))).register(registry);
        CounterWithCallback.builder().name("gridmesh_relay_cluster_stream_links_total")
                .help("Relay-to-relay links for engineer tunnel streams: opened, failed (dial or handshake).")
                .labelNames("outcome").callback(cb -> {
                    Map<String, Long> c = cluster(relay);
                    cb.call(c.getOrDefault("stream_links_opened", 0L), "opened");
                    cb.call(c.getOrDefault("stream_links_failed", 0L), "failed");
                }).register(registry);
        CounterWithCallback.builder().name("gridmesh_relay_cluster_watch_events_total")
                .help("etcd watch events applied by the cluster layer.")
                .callback(cb -> cb.call(cluster(relay).getOrDefault("watch_events", 0L))).register(registry);
        GaugeWithCallback.builder().name("gridmesh_relay_tunnel_streams_open")
                .help("Engineer tunnel streams open now.").callback(cb -> {
                    var t = relay.tunnels();
                    cb.call(t == null ? 0 : t.streamsOpen());
                }).register(registry);
        CounterWithCallback.builder().name("gridmesh_relay_tunnel_streams_total")
                .help("Engineer tunnel streams by outcome: opened (handed to the agent) or denied.")
                .labelNames("outcome").callback(cb -> {
                    var t = relay.tunnels();
                    cb.call(t == null ? 0 : t.streamsOpened(), "opened");
                    cb.call(t == null ? 0 : t.streamsDenied(), "denied");
                }).register(registry);
        CounterWithCallback.builder().name("gridmesh_relay_tunnel_streams_accepted_total")
                .help("Engineer tunnel streams the agent accepted (connected to its local port).").callback(cb -> {
                    var t = relay.tunnels();
                    cb.call(t == null ? 0 : t.counters().accepted());
                }).register(registry);
        CounterWithCallback.builder().name("gridmesh_relay_tunnel_streams_closed_total")
                .help("Accepted engineer tunnel streams that ended: ok (both directions closed) or reset.")
                .labelNames("result").callback(cb -> {
                    var t = relay.tunnels();
                    cb.call(t == null ? 0 : t.counters().closedOk(), "ok");
                    cb.call(t == null ? 0 : t.counters().closedReset(), "reset");
                }).register(registry);
        CounterWithCallback.builder().name("gridmesh_relay_tunnel_denied_total")
                .help("Engineer tunnel refusals by reason (relay: token, policy, node; agent: allow-list, connect, timeout).")
                .labelNames("reason").callback(cb -> {
                    var t = relay.tunnels();
                    for (TunnelCounters.Denial d : TunnelCounters.Denial.values()) {
                        cb.call(t == null ? 0 : t.counters().denied(d), d.label());
                    }
                }).register(registry);
        CounterWithCallback.builder().name("gridmesh_relay_tunnel_bytes_total")
                .help("Engineer tunnel stream bytes through the relay: to_node (engineer to agent) or from_node.")
                .labelNames("direction").callback(cb -> {
                    var t = relay.tunnels();
                    cb.call(t == null ? 0 : t.counters().bytesToNode(), "to_node");
                    cb.call(t == null ? 0 : t.counters().bytesFromNode(), "from_node");
                }).register(registry);
        CounterWithCallback.builder().name("gridmesh_relay_tunnel_stream_drops_total")
                .help("Engineer tunnel stream frames refused by the stream protocol, by the leg that sent them "
                        + "(engineer, node) and reason (flow_control, unknown_stream, bad_payload, ...).")
                .labelNames("leg", "reason").callback(cb -> {
                    var t = relay.tunnels();
                    for (TunnelCounters.Leg l : TunnelCounters.Leg.values()) {
                        for (StreamDrop d : StreamDrop.values()) {
                            cb.call(t == null ? 0 : t.counters().drops(l, d), l.label(), d.name().toLowerCase(Locale.ROOT));
                        }
                    }
                }).register(registry);
        CounterWithCallback.builder().name("gridmesh_relay_tunnel_idle_closed_total")
                .help("Engineer connections the relay closed because they had no open stream and no traffic for the idle timeout.")
                .callback(cb -> {
                    var t = relay.tunnels();
                    cb.call(t == null ? 0 : t.counters().idleClosed());
                }).register(registry);
    }

    private static void counter(PrometheusRegistry registry, String name, String help, RelayServer relay,
            RelayCounter c) {
        CounterWithCallback.builder().name(name).help(help).callback(cb -> cb.call(relay.metrics().get(c)))
                .register(registry);
    }

    private static Map<String, Long> cluster(RelayServer relay) {
        var c = relay.cluster();
        return c == null ? Map.of() : c.counters().snapshot();
    }
}
