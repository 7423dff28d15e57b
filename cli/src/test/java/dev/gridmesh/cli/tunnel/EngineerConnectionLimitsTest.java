package dev.gridmesh.cli.tunnel;

import static dev.gridmesh.cli.tunnel.TunnelCountersTest.await;
import static dev.gridmesh.cli.tunnel.TunnelCountersTest.frame;
import static dev.gridmesh.cli.tunnel.TunnelCountersTest.scrape;
import static org.assertj.core.api.Assertions.assertThat;

import dev.gridmesh.cli.CliRun;
import dev.gridmesh.cli.service.DaemonService;
import dev.gridmesh.cli.service.RelayService;
import dev.gridmesh.crypto.NodePrivateKey;
import dev.gridmesh.protocol.relay.ControlMessage;
import dev.gridmesh.protocol.relay.FrameHeader;
import dev.gridmesh.protocol.relay.FrameType;
import dev.gridmesh.protocol.relay.Frames;
import dev.gridmesh.protocol.relay.RelayDecodeException;
import dev.gridmesh.protocol.stream.StreamDrop;
import dev.gridmesh.protocol.stream.StreamTarget;
import dev.gridmesh.relay.server.RelayConfig;
import dev.gridmesh.relay.server.RelayServer;
import dev.gridmesh.relay.tunnel.TunnelCounters;
import dev.gridmesh.testsupport.prom.PromText;
import dev.gridmesh.testsupport.relay.RelayTestAgent;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the relay does with engineer connections beyond serving streams: it counts the stream frames the protocol
 * refuses (per leg, in {@code gridmesh relay stats} and Prometheus), and it closes an engineer connection that has no
 * stream and no traffic for the idle timeout, while a connection whose stream is open but quiet (an idle ssh session
 * without keepalives) stays up. A relay in this JVM, a stand-in agent and raw engineer connections.
 */
class EngineerConnectionLimitsTest {
    private static final Duration T = Duration.ofSeconds(10);

    /** A raw engineer connection after the upgrade: frames in and out, nothing checked for us. */
    static final class RawEngineer implements AutoCloseable {
        final SSLSocket socket;
        final DataInputStream in;
        final OutputStream out;

        RawEngineer(RelayServer r, String token) throws IOException {
            socket = (SSLSocket) RelayTestAgent.pinnedContext(r.pin()).getSocketFactory().createSocket();
            socket.connect(r.tcpAddress(), (int) T.toMillis());
            socket.setSoTimeout((int) T.toMillis());
            socket.setEnabledProtocols(new String[] {"TLSv1.3"});
            socket.startHandshake();
            out = socket.getOutputStream();
            out.write(("GET " + Frames.UPGRADE_PATH + "/tunnel HTTP/1.1\r\nHost: relay\r\nConnection: Upgrade\r\nUpgrade: "
                    + Frames.UPGRADE_TOKEN + "\r\nAuthorization: Bearer " + token + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            in = new DataInputStream(socket.getInputStream());
            assertThat(RelayTestAgent.readHead(in)).startsWith("HTTP/1.1 101");
        }

        void send(FrameType type, long id, byte[] payload) throws IOException {
            out.write(frame(type, id, payload));
            out.flush();
        }

        RelayTestAgent.Frame read() throws IOException {
            byte[] h = new byte[FrameHeader.SIZE];
            in.readFully(h);
            FrameHeader header;
            try {
                header = FrameHeader.decode(ByteBuffer.wrap(h), Integer.MAX_VALUE);
            } catch (RelayDecodeException e) {
                throw new IOException(e.getMessage(), e);
            }
            byte[] p = new byte[header.length()];
            in.readFully(p);
            return new RelayTestAgent.Frame(header, p);
        }

        /** Reads until the relay closes the connection; fails if a frame or the timeout comes first. */
        void awaitClosedByRelay() throws IOException {
            try {
                RelayTestAgent.Frame f = read();
                throw new AssertionError("expected the relay to close the connection, got " + f.header());
            } catch (EOFException | SocketException e) {
                // closed, as expected
            }
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }

    /** A stand-in agent registered as "worker": accepts every stream, hands its stream frames to {@code frames}. */
    static Thread serveAgent(RelayTestAgent agent, BlockingQueue<RelayTestAgent.Frame> frames) {
        return Thread.ofVirtual().start(() -> {
            try {
                while (true) {
                    RelayTestAgent.Frame f = agent.readFrame();
                    if (f.header().type() == FrameType.CONTROL) {
                        if (f.control() instanceof ControlMessage.Ping p) {
                            agent.send(new ControlMessage.Pong(p.nonce()));
                        }
                        continue;
                    }
                    if (f.header().type() == FrameType.STREAM_OPEN) {
                        agent.sendRaw(frame(FrameType.STREAM_OPEN, f.header().streamId(), new byte[0]));
                    }
                    frames.add(f);
                }
            } catch (IOException | RelayDecodeException e) {
                // the test ended
            }
        });
    }

    record Setup(RelayServer relay, DaemonService svc, RelayTestAgent agent, String token) implements AutoCloseable {
        @Override
        public void close() throws Exception {
            agent.close();
            svc.close();
            relay.close();
        }
    }

    static Setup start(Path dir) throws Exception {
        InetAddress lo = InetAddress.getLoopbackAddress();
        String sd = dir.toString();
        RelayConfig cfg = RelayConfig.defaults(dir).withListen(new InetSocketAddress(lo, 0), null);
        RelayServer r = RelayServer.start(cfg, Clock.systemUTC());
        DaemonService svc = RelayService.start(r, "127.0.0.1:0", true);
        String join = CliRun.run("relay", "token", "create", "--state-dir", sd).out().strip();
        assertThat(CliRun.run("relay", "user", "create", "alice", "--state-dir", sd).exit()).isZero();
        String token = CliRun.run("relay", "user", "token", "alice", "--state-dir", sd).out().strip();
        Files.writeString(dir.resolve("tunnel-policy"), "allow user:alice node:worker 22\n");
        RelayTestAgent agent = RelayTestAgent.connect(r.tcpAddress(), r.pin(), T);
        agent.register(NodePrivateKey.generate(), "worker", join);
        return new Setup(r, svc, agent, token);
    }

    @Test
    void refusedStreamFramesAreCountedPerLegInStatsAndMetrics(@TempDir Path dir) throws Exception {
        try (Setup s = start(dir); RawEngineer eng = new RawEngineer(s.relay(), s.token())) {
            BlockingQueue<RelayTestAgent.Frame> atAgent = new LinkedBlockingQueue<>();
            serveAgent(s.agent(), atAgent);
            // engineer leg: an even (relay-side) stream id, then a window update for a stream that never existed
            eng.send(FrameType.STREAM_OPEN, 2, new StreamTarget("worker", 22).encode());
            assertThat(eng.read().header().type()).isEqualTo(FrameType.STREAM_RESET);
            eng.send(FrameType.STREAM_WINDOW_UPDATE, 7, ByteBuffer.allocate(4).putInt(0, 1000).array());
            // node leg: DATA and a window update for streams the relay never opened
            s.agent().sendRaw(frame(FrameType.STREAM_DATA, 41, "stray".getBytes(StandardCharsets.UTF_8)));
            s.agent().sendRaw(frame(FrameType.STREAM_WINDOW_UPDATE, 43, ByteBuffer.allocate(4).putInt(0, 1).array()));
            TunnelCounters c = s.relay().tunnels().counters();
            await("the node leg's drops", () -> c.drops(TunnelCounters.Leg.NODE, StreamDrop.UNKNOWN_STREAM) == 2);
            await("the engineer leg's drops", () -> c.drops(TunnelCounters.Leg.ENGINEER, StreamDrop.UNKNOWN_STREAM) == 1);
            assertThat(c.drops(TunnelCounters.Leg.ENGINEER, StreamDrop.BAD_STREAM_ID)).isEqualTo(1);
            // the connection survives its bad frames: a proper stream still opens
            eng.send(FrameType.STREAM_OPEN, 1, new StreamTarget("worker", 22).encode());
            RelayTestAgent.Frame accepted = eng.read();
            assertThat(accepted.header().type()).isEqualTo(FrameType.STREAM_OPEN);
            assertThat(accepted.payload()).isEmpty();

            CliRun stats = CliRun.run("relay", "stats", "--state-dir", dir.toString());
            assertThat(stats.exit()).as(stats.err()).isZero();
            assertThat(stats.out()).contains("tunnel_drops_engineer_bad_stream_id 1\n",
                    "tunnel_drops_engineer_unknown_stream 1\n", "tunnel_drops_node_unknown_stream 2\n",
                    "tunnel_drops_node_flow_control 0\n", "tunnel_engineer_idle_closed 0\n");
            PromText m = scrape(s.svc().metricsPort());
            assertThat(m.get("gridmesh_relay_tunnel_stream_drops_total{leg=\"engineer\",reason=\"bad_stream_id\"}")).isEqualTo(1);
            assertThat(m.get("gridmesh_relay_tunnel_stream_drops_total{leg=\"engineer\",reason=\"unknown_stream\"}")).isEqualTo(1);
            assertThat(m.get("gridmesh_relay_tunnel_stream_drops_total{leg=\"node\",reason=\"unknown_stream\"}")).isEqualTo(2);
            assertThat(m.get("gridmesh_relay_tunnel_stream_drops_total{leg=\"node\",reason=\"flow_control\"}")).isZero();
            assertThat(m.types).containsEntry("gridmesh_relay_tunnel_stream_drops_total", "counter");
        }
    }

    @Test
    void anIdleConnectionWithoutStreamIsClosedButAQuietSessionStays(@TempDir Path dir) throws Exception {
        try (Setup s = start(dir)) {
            s.relay().tunnels().engineerIdleTimeout(Duration.ofMillis(300));
            BlockingQueue<RelayTestAgent.Frame> atAgent = new LinkedBlockingQueue<>();
            serveAgent(s.agent(), atAgent);
            try (RawEngineer session = new RawEngineer(s.relay(), s.token())) {
                // an interactive session: its stream is open, then nothing moves (ssh keepalives off)
                session.send(FrameType.STREAM_OPEN, 1, new StreamTarget("worker", 22).encode());
                assertThat(session.read().header().type()).isEqualTo(FrameType.STREAM_OPEN);
                RelayTestAgent.Frame open = atAgent.poll(T.toSeconds(), TimeUnit.SECONDS);
                assertThat(open).isNotNull();
                long aid = open.header().streamId();
                // two connections that never open a stream are closed in turn: the session has been quiet for
                // at least two idle timeouts by then
                for (int i = 1; i <= 2; i++) {
                    try (RawEngineer idle = new RawEngineer(s.relay(), s.token())) {
                        idle.awaitClosedByRelay();
                    }
                    int n = i;
                    await("idle close counted", () -> s.relay().tunnels().counters().idleClosed() == n);
                }
                // the quiet session is still up both ways
                session.send(FrameType.STREAM_DATA, 1, "ls\n".getBytes(StandardCharsets.UTF_8));
                RelayTestAgent.Frame data = atAgent.poll(T.toSeconds(), TimeUnit.SECONDS);
                assertThat(data).isNotNull();
                assertThat(data.header().type()).isEqualTo(FrameType.STREAM_DATA);
                assertThat(new String(data.payload(), StandardCharsets.UTF_8)).isEqualTo("ls\n");
                s.agent().sendRaw(frame(FrameType.STREAM_DATA, aid, "bin\n".getBytes(StandardCharsets.UTF_8)));
                RelayTestAgent.Frame back = session.read();
                assertThat(back.header().type()).isEqualTo(FrameType.STREAM_DATA);
                assertThat(new String(back.payload(), StandardCharsets.UTF_8)).isEqualTo("bin\n");
                assertThat(s.relay().tunnels().counters().idleClosed()).isEqualTo(2);
                // once its stream ends, the session's connection idles out like the others
                session.send(FrameType.STREAM_RESET, 1, TunnelCountersTest.reset(
                        dev.gridmesh.protocol.stream.ResetCode.CANCELLED, "bye"));
                session.awaitClosedByRelay();
                await("third idle close", () -> s.relay().tunnels().counters().idleClosed() == 3);
            }
            PromText m = scrape(s.svc().metricsPort());
            assertThat(m.get("gridmesh_relay_tunnel_idle_closed_total")).isEqualTo(3);
        }
    }
}
