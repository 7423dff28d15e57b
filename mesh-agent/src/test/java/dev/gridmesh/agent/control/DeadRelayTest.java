package dev.gridmesh.agent.control;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gridmesh.agent.relay.RelayPath;
import dev.gridmesh.crypto.NodePrivateKey;
import dev.gridmesh.protocol.relay.ControlMessage;
import dev.gridmesh.protocol.relay.FrameHeader;
import dev.gridmesh.protocol.relay.FrameType;
import dev.gridmesh.protocol.relay.Frames;
import dev.gridmesh.protocol.relay.RelayDecodeException;
import dev.gridmesh.relay.tls.RelayCertificate;
import io.netty.buffer.ByteBuf;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.Test;

/**
 * A relay that registers the agent and then goes silent without closing (a dead path): the client pings, declares
 * the connection dead after {@code deadAfter}, and reconnects. Timeouts are scaled down (ping 200 ms, dead 600 ms);
 * production uses 5 s / 15 s.
 */
class DeadRelayTest {
    @Test
    void aSilentRelayIsDetectedAndTheClientReconnects() throws Exception {
        RelayCertificate cert = RelayCertificate.selfSigned(Instant.now(), new SecureRandom());
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        ks.setKeyEntry("relay", cert.key(), new char[0], cert.chain().toArray(new java.security.cert.Certificate[0]));
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, new char[0]);
        SSLContext ctx = SSLContext.getInstance("TLSv1.3");
        ctx.init(kmf.getKeyManagers(), null, null);
        BlockingQueue<String> seen = new LinkedBlockingQueue<>();
        BlockingQueue<ConnectionState> states = new LinkedBlockingQueue<>();
        try (SSLServerSocket server = (SSLServerSocket) ctx.getServerSocketFactory().createServerSocket(0, 8,
                InetAddress.getLoopbackAddress())) {
            Thread serverThread = Thread.ofVirtual().start(() -> serveSilently(server, seen));
            ControlConfig cfg = ControlConfig.of(InetAddress.getLoopbackAddress().getHostAddress(), server.getLocalPort(),
                    new RelayTrust.Pinned(cert.pin()), "silent").withTimeouts(Duration.ofMillis(200),
                    Duration.ofMillis(600), Duration.ofSeconds(5), Duration.ofMillis(50));
            ControlListener l = new ControlListener() {
                @Override public void onState(ConnectionState s, String d) { states.add(s); }
                @Override public boolean onRegistered(ControlMessage.RegisterOk ok) { return true; }
                @Override public void onPeers(PeerMapTracker.Change c) { }
                @Override public void onPacket(ByteBuf payload) { }
                @Override public void onFatal(String reason) { seen.add("fatal " + reason); }
            };
            try (ControlClient c = new ControlClient(cfg, NodePrivateKey.generate(), "tok", new RelayPath(), l)) {
                c.start();
                assertThat(poll(states, ConnectionState.CONNECTED)).isTrue();
                long t0 = System.nanoTime();
                assertThat(poll(states, ConnectionState.DISCONNECTED)).isTrue();
                long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
                assertThat(ms).as("dead connection noticed").isBetween(300L, 3000L);
                assertThat(c.lastError()).contains("dead connection");
                assertThat(seen.poll(5, TimeUnit.SECONDS)).isEqualTo("Register token=tok");
                assertThat(seen.poll(5, TimeUnit.SECONDS)).as("pinged before giving up").isEqualTo("Ping");
                assertThat(poll(states, ConnectionState.CONNECTED)).as("reconnected").isTrue();
                assertThat(c.registrations()).isGreaterThanOrEqualTo(2);
            }
            server.close();
            serverThread.join(5000);
        }
    }

    static boolean poll(BlockingQueue<ConnectionState> q, ConnectionState want) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < end) {
            ConnectionState s = q.poll(100, TimeUnit.MILLISECONDS);
            if (s == want) {
                return true;
            }
        }
        return false;
    }

    /** Accepts connections; each: upgrade, ServerHello, Register, RegisterOk + empty map, then only reads. */
    static void serveSilently(SSLServerSocket server, BlockingQueue<String> seen) {
        while (!server.isClosed()) {
            try {
                SSLSocket s = (SSLSocket) server.accept();
                Thread.ofVirtual().start(() -> {
                    try (s) {
                        InputStream in = s.getInputStream();
                        readHead(in);
                        OutputStream out = s.getOutputStream();
                        out.write(("HTTP/1.1 101 Switching Protocols\r\nconnection: upgrade\r\nupgrade: "
                                + Frames.UPGRADE_TOKEN + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                        byte[] e = new byte[32];
                        e[0] = 9; // any valid X25519 point: the proof is not checked here
                        out.write(Frames.control(new ControlMessage.ServerHello(e, new byte[32])));
                        out.flush();
                        DataInputStream din = new DataInputStream(in);
                        boolean first = true;
                        while (true) {
                            ControlMessage m = readControl(din);
                            if (m instanceof ControlMessage.Register r && first) {
                                first = false;
                                seen.add("Register token=" + r.joinToken());
                                out.write(Frames.control(new ControlMessage.RegisterOk("silent",
                                        InetAddress.getByName("100.64.0.9"), 10)));
                                out.write(Frames.control(new ControlMessage.PeerMap(true, true, List.of())));
                                out.flush();
                            } else if (m instanceof ControlMessage.Ping) {
                                seen.add("Ping"); // and never answer
                            }
                        }
                    } catch (IOException | RelayDecodeException e) {
                        // client went away
                    }
                });
            } catch (IOException e) {
                return;
            }
        }
    }

    static void readHead(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        int last4 = 0;
        while (last4 != 0x0d0a0d0a) {
            int c = in.read();
            if (c < 0) {
                throw new IOException("eof");
            }
            b.write(c);
            last4 = last4 << 8 | c;
        }
    }

    static ControlMessage readControl(DataInputStream in) throws IOException, RelayDecodeException {
        byte[] h = new byte[FrameHeader.SIZE];
        in.readFully(h);
        FrameHeader header = FrameHeader.decode(ByteBuffer.wrap(h), Frames.MAX_PAYLOAD);
        byte[] p = new byte[header.length()];
        in.readFully(p);
        return header.type() == FrameType.CONTROL ? ControlMessage.parse(ByteBuffer.wrap(p)) : null;
    }

}
