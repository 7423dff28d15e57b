package dev.gridmesh.cli.service;

import dev.gridmesh.testsupport.prom.PromText;
import static org.assertj.core.api.Assertions.assertThat;

import dev.gridmesh.agent.metrics.AgentMetrics;
import dev.gridmesh.relay.server.RelayConfig;
import dev.gridmesh.relay.server.RelayServer;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The metrics endpoints scraped over HTTP and parsed strictly; the relay's counters move after traffic. */
class MetricsScrapeTest {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    static PromText scrape(int port) throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics"))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("Content-Type").orElse("")).startsWith("text/plain; version=0.0.4");
        return PromText.parse(r.body());
    }

    @Test
    void relayCountersMoveAfterHealthChecksAndStun(@TempDir Path dir) throws Exception {
        InetSocketAddress lo = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
        RelayConfig cfg = RelayConfig.defaults(dir.resolve("relay")).withListen(lo, lo);
        try (RelayServer relay = RelayServer.start(cfg, Clock.systemUTC());
             DaemonService svc = RelayService.start(relay, "127.0.0.1:0", true)) {
            PromText before = scrape(svc.metricsPort());
            assertThat(before.types).containsEntry("gridmesh_relay_packets_relayed_total", "counter")
                    .containsEntry("gridmesh_relay_nodes_online", "gauge");
            assertThat(before.get("gridmesh_relay_nodes_online")).isZero();
            assertThat(before.get("gridmesh_relay_registrations_total{outcome=\"admitted\"}")).isZero();
            assertThat(before.get("gridmesh_relay_drops_total{reason=\"PACKET_NO_DESTINATION\"}")).isZero();
            assertThat(before.get("gridmesh_relay_stun_requests_total")).isZero();
            assertThat(before.types).containsEntry("gridmesh_relay_queue_bytes", "gauge")
                    .containsEntry("gridmesh_relay_queue_bytes_max", "gauge")
                    .containsEntry("gridmesh_relay_tunnel_streams_open", "gauge")
                    .containsEntry("gridmesh_relay_tunnel_streams_total", "counter");
            assertThat(before.get("gridmesh_relay_queue_bytes")).isZero();
            assertThat(before.get("gridmesh_relay_tunnel_streams_open")).isZero();
            assertThat(before.get("gridmesh_relay_tunnel_streams_total{outcome=\"opened\"}")).isZero();
            assertThat(before.get("gridmesh_relay_tunnel_streams_total{outcome=\"denied\"}")).isZero();

            // GET /healthz over TLS (the relay's own port), and one STUN Binding request
            SSLContext trustAll = SSLContext.getInstance("TLS");
            trustAll.init(null, new TrustManager[] {new X509TrustManager() {
                public void checkClientTrusted(X509Certificate[] c, String a) {}
                public void checkServerTrusted(X509Certificate[] c, String a) {}
                public X509Certificate[] getAcceptedIssuers() { return new X509Certificate[0]; }
            }}, null);
            try (javax.net.ssl.SSLSocket sock = (javax.net.ssl.SSLSocket) trustAll.getSocketFactory()
                    .createSocket(InetAddress.getLoopbackAddress(), relay.tcpAddress().getPort())) {
                sock.setSoTimeout(10_000);
                sock.getOutputStream().write("GET /healthz HTTP/1.1\r\nHost: relay\r\nConnection: close\r\n\r\n"
                        .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
                String answer = new String(sock.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.US_ASCII);
                assertThat(answer).startsWith("HTTP/1.1 200");
            }
            try (DatagramSocket udp = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
                udp.setSoTimeout(10_000);
                ByteBuffer req = ByteBuffer.allocate(20).putShort((short) 0x0001).putShort((short) 0)
                        .putInt(0x2112A442).putLong(0x0102030405060708L).putInt(0x090a0b0c);
                udp.send(new DatagramPacket(req.array(), 20, relay.stunAddress()));
                udp.receive(new DatagramPacket(new byte[512], 512)); // the answer: counted before it was sent
            }

            PromText after = scrape(svc.metricsPort());
            assertThat(after.get("gridmesh_relay_health_checks_total")).isEqualTo(before.get("gridmesh_relay_health_checks_total") + 1);
            assertThat(after.get("gridmesh_relay_stun_requests_total")).isEqualTo(1);
            assertThat(after.get("gridmesh_relay_stun_responses_total")).isEqualTo(1);
            assertThat(after.get("gridmesh_relay_connections_accepted_total"))
                    .isGreaterThan(before.get("gridmesh_relay_connections_accepted_total"));
        }
    }

    @Test
    void relayPeerMapFanoutAndClusterCounters(@TempDir Path dir) throws Exception {
        InetSocketAddress lo = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
        RelayConfig cfg = RelayConfig.defaults(dir.resolve("relay")).withListen(lo, lo);
        try (RelayServer relay = RelayServer.start(cfg, Clock.systemUTC());
             DaemonService svc = RelayService.start(relay, "127.0.0.1:0", true)) {
            PromText before = scrape(svc.metricsPort());
            assertThat(before.get("gridmesh_relay_peermap_full_maps_total{cause=\"connect\"}")).isZero();
            assertThat(before.get("gridmesh_relay_peermap_deltas_total")).isZero();
            assertThat(before.get("gridmesh_relay_cluster_packets_total{direction=\"out\",outcome=\"forwarded\"}")).isZero();
            assertThat(before.types).containsEntry("gridmesh_relay_cluster_links_opened_total", "counter")
                    .containsEntry("gridmesh_relay_cluster_link_errors_total", "counter")
                    .containsEntry("gridmesh_relay_cluster_watch_events_total", "counter");
            assertThat(before.get("gridmesh_relay_cluster_stream_links_total{outcome=\"failed\"}")).isZero();

            String token = relay.admin().createToken(true, null, java.util.Set.of()).token();
            Duration t = Duration.ofSeconds(10);
            try (var a = dev.gridmesh.testsupport.relay.RelayTestAgent.connect(relay.tcpAddress(), relay.pin(), t);
                 var b = dev.gridmesh.testsupport.relay.RelayTestAgent.connect(relay.tcpAddress(), relay.pin(), t)) {
                a.register(dev.gridmesh.crypto.NodePrivateKey.generate(), "a", token);
                a.await(dev.gridmesh.protocol.relay.ControlMessage.PeerMap.class);
                b.register(dev.gridmesh.crypto.NodePrivateKey.generate(), "b", token);
                b.await(dev.gridmesh.protocol.relay.ControlMessage.PeerMap.class);
                a.await(dev.gridmesh.protocol.relay.ControlMessage.PeerAdded.class); // b's arrival, as a delta to a

                PromText after = scrape(svc.metricsPort());
                assertThat(after.get("gridmesh_relay_peermap_full_maps_total{cause=\"connect\"}")).isEqualTo(2);
                assertThat(after.get("gridmesh_relay_peermap_full_maps_total{cause=\"behind\"}")).isZero();
                assertThat(after.get("gridmesh_relay_peermap_deltas_total")).isGreaterThanOrEqualTo(1);
                assertThat(after.get("gridmesh_relay_peermap_writes_total")).isGreaterThanOrEqualTo(1)
                        .isLessThanOrEqualTo(after.get("gridmesh_relay_peermap_deltas_total"));
            }
        }
    }

    @Test
    void agentMetricsBeforeTheAgentExistsAreZeroAndWellFormed() throws Exception {
        try (DaemonService svc = DaemonService.start("127.0.0.1:0", r -> AgentMetrics.register(r, () -> null))) {
            PromText m = scrape(svc.metricsPort());
            assertThat(m.get("gridmesh_agent_peers{path=\"relay\"}")).isZero();
            assertThat(m.get("gridmesh_agent_drops_total{reason=\"DECRYPT_FAILED\",source=\"engine\"}")).isZero();
            assertThat(m.get("gridmesh_agent_drops_total{reason=\"NOT_CONNECTED\",source=\"relay\"}")).isZero();
            assertThat(m.get("gridmesh_agent_relay_connection_state{state=\"CONNECTING\"}")).isEqualTo(1);
            assertThat(m.get("gridmesh_agent_wireguard_bytes_total{direction=\"rx\"}")).isZero();
            assertThat(m.get("gridmesh_agent_wireguard_packets_total{direction=\"tx\"}")).isZero();
            assertThat(m.types).containsEntry("gridmesh_agent_wireguard_packets_total", "counter");
            assertThat(m.get("gridmesh_agent_path_switches_total{to=\"direct\"}")).isZero();
            assertThat(m.types).containsEntry("gridmesh_agent_handshakes_total", "counter")
                    .containsEntry("gridmesh_agent_relay_queue_bytes", "gauge");
            assertThat(m.get("gridmesh_agent_handshakes_total")).isZero();
            assertThat(m.get("gridmesh_agent_relay_queue_bytes")).isZero();
        }
    }

    @Test
    void listenAddressForms() throws Exception {
        assertThat(DaemonService.parseListen("off")).isNull();
        assertThat(DaemonService.parseListen(null)).isNull();
        assertThat(DaemonService.parseListen("127.0.0.1:9464").getPort()).isEqualTo(9464);
        assertThat(DaemonService.parseListen("[::1]:9464").getAddress().getHostAddress()).isEqualTo("0:0:0:0:0:0:0:1");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> DaemonService.parseListen("localhost"))
                .hasMessageContaining("expected: HOST:PORT");
    }
}
