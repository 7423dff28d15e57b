package dev.gridmesh.cli.tunnel;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gridmesh.cli.CliRun;
import dev.gridmesh.crypto.NodePrivateKey;
import dev.gridmesh.protocol.relay.FrameType;
import dev.gridmesh.protocol.stream.ResetCode;
import dev.gridmesh.protocol.stream.StreamTarget;
import dev.gridmesh.relay.server.RelayConfig;
import dev.gridmesh.relay.server.RelayServer;
import dev.gridmesh.testsupport.relay.RelayTestAgent;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/**
 * A relay in this JVM with user alice (policy: worker 22-24), a stand-in agent for node "worker" ({@link StandInWorker})
 * and alice's credentials in {@code dir/home/.config/gridmesh}: the fixture of the tunnel helper's tests.
 */
abstract class HelperFixture {
    @TempDir Path dir;
    RelayServer relay;
    RelayTestAgent agentConn;
    StandInWorker worker;
    Path config;
    final ByteArrayOutputStream logBytes = new ByteArrayOutputStream();
    final PrintStream log = new PrintStream(logBytes, true, StandardCharsets.UTF_8);

    @BeforeEach
    void relayAndWorker() throws Exception {
        String sd = dir.resolve("relay").toString();
        Files.createDirectories(dir.resolve("relay"));
        RelayConfig cfg = RelayConfig.defaults(dir.resolve("relay")).withListen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), null);
        relay = RelayServer.start(cfg, Clock.systemUTC());
        String join = CliRun.run("relay", "token", "create", "--state-dir", sd).out().strip();
        assertThat(CliRun.run("relay", "user", "create", "alice", "--state-dir", sd).exit()).isZero();
        String token = CliRun.run("relay", "user", "token", "alice", "--state-dir", sd).out().strip();
        Files.writeString(dir.resolve("relay/tunnel-policy"), "allow user:alice node:worker 22-24\nallow user:alice node:ghost 22\n");
        agentConn = RelayTestAgent.connect(relay.tcpAddress(), relay.pin(), Duration.ofSeconds(10));
        agentConn.register(NodePrivateKey.generate(), "worker", join);
        worker = new StandInWorker(agentConn);
        config = dir.resolve("home/.config/gridmesh");
        Credentials.of("127.0.0.1:" + relay.tcpAddress().getPort(), relay.pin(), token).save(config);
    }

    @AfterEach
    void stop() throws Exception {
        agentConn.close();
        relay.close();
    }

    /**
     * The worker's side of every stream, scripted by port: 22 answers {@code got N: TEXT} after the client's EOF,
     * then EOFs; 23 sends {@code early} and EOFs at once, then keeps what the client sends until its EOF (in
     * {@link #received}); 24 resets the stream after accepting it.
     */
    static final class StandInWorker {
        final RelayTestAgent a;
        final Map<Long, ByteArrayOutputStream> in = new ConcurrentHashMap<>();
        final Map<Long, Integer> ports = new ConcurrentHashMap<>();
        final Map<Integer, String> received = new ConcurrentHashMap<>();

        StandInWorker(RelayTestAgent a) {
            this.a = a;
            Thread.ofVirtual().start(this::run);
        }

        void run() {
            try {
                while (true) {
                    RelayTestAgent.Frame f = a.readFrame();
                    long id = f.header().streamId();
                    switch (f.header().type()) {
                        case STREAM_OPEN -> {
                            StreamTarget t = StreamTarget.decode(ByteBuffer.wrap(f.payload()));
                            ports.put(id, t.port());
                            in.put(id, new ByteArrayOutputStream());
                            a.sendRaw(TunnelCountersTest.frame(FrameType.STREAM_OPEN, id, new byte[0]));
                            if (t.port() == 23) {
                                a.sendRaw(TunnelCountersTest.frame(FrameType.STREAM_DATA, id, "early".getBytes(StandardCharsets.UTF_8)));
                                a.sendRaw(TunnelCountersTest.frame(FrameType.STREAM_HALF_CLOSE, id, new byte[0]));
                            } else if (t.port() == 24) {
                                a.sendRaw(TunnelCountersTest.frame(FrameType.STREAM_RESET, id,
                                        TunnelCountersTest.reset(ResetCode.CANCELLED, "worker went away (test)")));
                            }
                        }
                        case STREAM_DATA -> {
                            in.get(id).write(f.payload());
                            byte[] inc = ByteBuffer.allocate(4).putInt(f.payload().length).array();
                            a.sendRaw(TunnelCountersTest.frame(FrameType.STREAM_WINDOW_UPDATE, id, inc));
                        }
                        case STREAM_HALF_CLOSE -> {
                            String got = in.get(id).toString(StandardCharsets.UTF_8);
                            if (ports.get(id) == 22) {
                                byte[] answer = ("got " + got.length() + ": " + got).getBytes(StandardCharsets.UTF_8);
                                for (int off = 0; off < answer.length; off += 16_000) { // within a frame, a window
                                    a.sendRaw(TunnelCountersTest.frame(FrameType.STREAM_DATA, id,
                                            java.util.Arrays.copyOfRange(answer, off, Math.min(answer.length, off + 16_000))));
                                }
                                a.sendRaw(TunnelCountersTest.frame(FrameType.STREAM_HALF_CLOSE, id, new byte[0]));
                            } else {
                                received.put(ports.get(id), got);
                            }
                        }
                        default -> { }
                    }
                }
            } catch (IOException | dev.gridmesh.protocol.relay.RelayDecodeException e) {
                // the test ends
            }
        }
    }

    /** One helper connection: the request line sent, the answer line read. */
    record Conn(Socket s, String answer) {
        static Conn open(int port, String line) throws IOException {
            Socket s = new Socket(InetAddress.getLoopbackAddress(), port);
            s.setSoTimeout(10_000);
            OutputStream o = s.getOutputStream();
            o.write(line.getBytes(StandardCharsets.ISO_8859_1));
            o.flush();
            return new Conn(s, line.endsWith("\n") && !line.contains(" attach ") ? readLine(s.getInputStream()) : null);
        }

        static String readLine(InputStream in) throws IOException {
            StringBuilder b = new StringBuilder();
            int c;
            while ((c = in.read()) >= 0 && c != '\n') {
                b.append((char) c);
            }
            return c < 0 && b.isEmpty() ? null : b.toString();
        }
    }

    TunnelHelper start(long idleMs) throws IOException {
        TunnelHelper h = TunnelHelper.start(config, TimeUnit.MILLISECONDS.toNanos(idleMs), log);
        assertThat(h).isNotNull();
        return h;
    }

    static void await(String what, java.util.function.BooleanSupplier c) {
        TunnelCountersTest.await(what, c);
    }

}
