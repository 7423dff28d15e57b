package dev.gridmesh.relay.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gridmesh.crypto.NodePrivateKey;
import dev.gridmesh.protocol.relay.ControlMessage;
import dev.gridmesh.protocol.relay.ErrorCode;
import dev.gridmesh.protocol.relay.FrameHeader;
import dev.gridmesh.protocol.relay.FrameType;
import dev.gridmesh.protocol.relay.Frames;
import dev.gridmesh.protocol.relay.RegistrationProof;
import dev.gridmesh.testsupport.relay.RelayTestAgent;
import java.io.InputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bad input against a running relay over loopback. Each case is refused with a counted reason and closes only the
 * offending connection; after each, two well-behaved agents still exchange relayed packets.
 */
class RelayBadInputTest {
    static final Duration T = Duration.ofSeconds(10);
    @TempDir Path dir;
    RelayServer relay;
    String token;
    NodePrivateKey ka = NodePrivateKey.generate();
    NodePrivateKey kb = NodePrivateKey.generate();
    RelayTestAgent a;
    RelayTestAgent b;

    @BeforeEach
    void start() throws Exception {
        RelayConfig cfg = RelayServerTest.config(dir)
                .withTimeouts(Duration.ofSeconds(5), Duration.ofSeconds(15), Duration.ofSeconds(2), Duration.ofSeconds(2))
                .withWriteLimits(64 * 1024, 128 * 1024, 1024 * 1024)
                .withPreAuthLimits(1000, 4);
        relay = RelayServer.start(cfg, Clock.systemUTC());
        token = relay.admin().createToken(true, null, Set.of()).token();
        a = connect();
        a.register(ka, "a", token);
        a.await(ControlMessage.PeerMap.class);
        b = connect();
        b.register(kb, "b", token);
        b.await(ControlMessage.PeerMap.class);
        a.await(ControlMessage.PeerAdded.class);
    }

    @AfterEach
    void stop() throws Exception {
        a.close();
        b.close();
        relay.close();
    }

    private RelayTestAgent connect() throws Exception {
        return RelayTestAgent.connect(relay.tcpAddress(), relay.pin(), T);
    }

    /** The good pair still gets relayed packets both ways. */
    private void assertOthersStillServed() throws Exception {
        byte[] p = new byte[] {4, 0, 0, 0, (byte) new Random().nextInt()};
        a.sendPacket(kb.publicKey(), p);
        assertThat(Arrays.copyOfRange(b.awaitPacket().payload(), 32, 37)).isEqualTo(p);
        b.sendPacket(ka.publicKey(), p);
        assertThat(Arrays.copyOfRange(a.awaitPacket().payload(), 32, 37)).isEqualTo(p);
        assertThat(relay.hub().route(ka.publicKey())).isNotNull();
        assertThat(relay.hub().route(kb.publicKey())).isNotNull();
    }

    private static void eventually(BooleanSupplier cond) {
        long deadline = System.nanoTime() + T.toNanos();
        while (!cond.getAsBoolean()) {
            assertThat(System.nanoTime()).as("condition not met within %s", T).isLessThan(deadline);
            LockSupport.parkNanos(1_000_000);
        }
    }

    private long count(RelayCounter c) {
        return relay.metrics().get(c);
    }

    private Socket rawTcp() throws Exception {
        Socket s = new Socket();
        s.connect(relay.tcpAddress(), (int) T.toMillis());
        s.setSoTimeout((int) T.toMillis());
        return s;
    }

    private static void readToEof(InputStream in) throws Exception {
        byte[] buf = new byte[4096];
        try {
            while (in.read(buf) >= 0) {
                // discard
            }
        } catch (java.net.SocketException closedByReset) {
            // fine: the relay closed it
        }
    }

    private ControlMessage.Error sendRawAndAwaitClose(byte[] raw) throws Exception {
        try (RelayTestAgent x = connect()) {
            x.sendRaw(raw);
            return x.awaitClose();
        }
    }

    private static byte[] header(int version, int type, long stream, long length) {
        return HexFormat.of().parseHex(String.format("%02x%02x0000%08x%08x", version, type, stream, length));
    }

    @Test
    void garbageOnTheTcpPort() throws Exception {
        long before = count(RelayCounter.TLS_HANDSHAKE_FAILED);
        try (Socket s = rawTcp()) {
            byte[] junk = new byte[2000];
            new Random(1).nextBytes(junk);
            s.getOutputStream().write(junk);
            readToEof(s.getInputStream());
        }
        try (Socket s = rawTcp()) {
            s.getOutputStream().write("GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            readToEof(s.getInputStream());
        }
        eventually(() -> count(RelayCounter.TLS_HANDSHAKE_FAILED) >= before + 2);
        assertOthersStillServed();
    }

    @Test
    void halfOpenTlsTimesOut() throws Exception {
        try (Socket s = rawTcp()) {
            // the first bytes of a TLS record carrying a ClientHello, then silence
            s.getOutputStream().write(HexFormat.of().parseHex("160301020001"));
            readToEof(s.getInputStream());
        }
        eventually(() -> count(RelayCounter.TLS_HANDSHAKE_TIMEOUT) >= 1);
        // TLS done but no HTTP request: closed at the upgrade deadline
        SSLSocket s = (SSLSocket) RelayTestAgent.pinnedContext(relay.pin()).getSocketFactory().createSocket();
        try (s) {
            s.connect(relay.tcpAddress());
            s.setSoTimeout((int) T.toMillis());
            s.startHandshake();
            readToEof(s.getInputStream());
        }
        eventually(() -> count(RelayCounter.HTTP_TIMEOUT) >= 1);
        assertOthersStillServed();
    }

    @Test
    void tooManyUnauthenticatedConnectionsFromOneAddress() throws Exception {
        List<Socket> held = new java.util.ArrayList<>();
        try {
            for (int i = 0; i < 4; i++) {
                held.add(rawTcp()); // silent: each holds a pre-auth permit until its handshake deadline
            }
            eventually(() -> count(RelayCounter.CONNECTIONS_ACCEPTED) >= 6);
            long t0 = System.nanoTime();
            try (Socket fifth = rawTcp()) {
                readToEof(fifth.getInputStream());
            }
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(2)); // closed at once
            assertThat(count(RelayCounter.PRE_AUTH_LIMIT)).isEqualTo(1);
            assertOthersStillServed();
        } finally {
            for (Socket s : held) {
                s.close();
            }
        }
    }

    @Test
    void httpWithoutUpgrade() throws Exception {
        String resp = RelayTestAgent.httpGet(relay.tcpAddress(), relay.pin(), Frames.UPGRADE_PATH, T);
        assertThat(resp).startsWith("HTTP/1.1 400");
        assertThat(count(RelayCounter.HTTP_BAD_REQUEST)).isEqualTo(1);
        assertOthersStillServed();
    }

    @Test
    void unknownOversizedBadVersionAndMalformedFrames() throws Exception {
        assertThat(sendRawAndAwaitClose(header(1, 0x7f, 0, 0)).code()).isEqualTo(ErrorCode.PROTOCOL);
        assertThat(sendRawAndAwaitClose(header(1, 0x01, 0, Frames.MAX_PAYLOAD + 1)).code()).isEqualTo(ErrorCode.FRAME_TOO_LARGE);
        assertThat(sendRawAndAwaitClose(header(1, 0x02, 0, 0xffffffffL)).code()).isEqualTo(ErrorCode.FRAME_TOO_LARGE);
        assertThat(sendRawAndAwaitClose(header(9, 0x01, 0, 0)).code()).isEqualTo(ErrorCode.PROTOCOL);
        byte[] junk = new byte[40];
        new Random(2).nextBytes(junk);
        junk[0] = 0x7e;
        byte[] frame = new byte[12 + junk.length];
        FrameHeader.of(FrameType.CONTROL, junk.length).encode(frame, 0);
        System.arraycopy(junk, 0, frame, 12, junk.length);
        assertThat(sendRawAndAwaitClose(frame).code()).isEqualTo(ErrorCode.PROTOCOL);
        assertThat(count(RelayCounter.FRAME_UNKNOWN_TYPE)).isEqualTo(1);
        assertThat(count(RelayCounter.FRAME_TOO_LARGE)).isEqualTo(2);
        assertThat(count(RelayCounter.FRAME_BAD_VERSION)).isEqualTo(1);
        assertThat(count(RelayCounter.FRAME_MALFORMED)).isEqualTo(1);
        assertOthersStillServed();
    }

    @Test
    void framesBeforeAuthentication() throws Exception {
        assertThat(sendRawAndAwaitClose(Frames.control(new ControlMessage.Ping(1))).code()).isEqualTo(ErrorCode.NOT_AUTHENTICATED);
        assertThat(sendRawAndAwaitClose(Frames.packet(kb.publicKey(), new byte[] {4, 0, 0, 0}, 0, 4)).code())
                .isEqualTo(ErrorCode.NOT_AUTHENTICATED);
        assertThat(sendRawAndAwaitClose(header(1, FrameType.STREAM_OPEN.code(), 5, 0)).code()).isEqualTo(ErrorCode.NOT_AUTHENTICATED);
        assertThat(count(RelayCounter.FRAME_BEFORE_AUTH)).isEqualTo(3);
        // and silence: the auth deadline
        try (RelayTestAgent x = connect()) {
            assertThat(x.awaitClose().code()).isEqualTo(ErrorCode.NOT_AUTHENTICATED);
        }
        assertThat(count(RelayCounter.AUTH_TIMEOUT)).isEqualTo(1);
        assertOthersStillServed();
    }

    @Test
    void replayedRegistration() throws Exception {
        NodePrivateKey kc = NodePrivateKey.generate();
        ControlMessage.Register captured;
        try (RelayTestAgent c = connect()) {
            captured = RegistrationProof.register(kc, c.hello(), "c", token);
            c.send(captured);
            c.await(ControlMessage.RegisterOk.class);
            c.send(captured); // replay on the same connection
            assertThat(c.awaitClose().code()).isEqualTo(ErrorCode.ALREADY_REGISTERED);
        }
        try (RelayTestAgent d = connect()) {
            d.send(captured); // replay on another connection
            assertThat(d.awaitClose().code()).isEqualTo(ErrorCode.AUTH_FAILED);
        }
        assertThat(count(RelayCounter.REGISTRATION_REPLAYED)).isEqualTo(1);
        assertThat(count(RelayCounter.AUTH_FAILED)).isEqualTo(1);
        assertOthersStillServed();
    }

    @Test
    void forgedNodeKey() throws Exception {
        NodePrivateKey mallory = NodePrivateKey.generate();
        try (RelayTestAgent m = connect()) {
            ControlMessage.Register own = RegistrationProof.register(mallory, m.hello(), "a", "");
            m.send(new ControlMessage.Register(ka.publicKey(), own.proof(), "a", ""));
            assertThat(m.awaitClose().code()).isEqualTo(ErrorCode.AUTH_FAILED);
        }
        try (RelayTestAgent m = connect()) {
            m.send(new ControlMessage.Register(ka.publicKey(), new byte[32], "a", token));
            assertThat(m.awaitClose().code()).isEqualTo(ErrorCode.AUTH_FAILED);
        }
        assertThat(count(RelayCounter.AUTH_FAILED)).isEqualTo(2);
        assertThat(count(RelayCounter.REPLACED)).isZero();
        assertOthersStillServed();
    }

    @Test
    void slowReceiverIsBoundedByDroppingItsPackets() throws Exception {
        NodePrivateKey kc = NodePrivateKey.generate();
        SSLSocket probe;
        try (RelayTestAgent c = connect()) {
            c.register(kc, "slow", token);
            c.await(ControlMessage.PeerMap.class);
            a.await(ControlMessage.PeerAdded.class);
            b.await(ControlMessage.PeerAdded.class);
            // c never reads again. a floods it.
            byte[] packet = new byte[60_000];
            int sent = 0;
            while (count(RelayCounter.PACKET_DESTINATION_SLOW) == 0 && sent < 3000) {
                a.sendPacket(kc.publicKey(), packet);
                sent++;
            }
            assertThat(count(RelayCounter.PACKET_DESTINATION_SLOW)).as("drops after %d packets", sent).isPositive();
            io.netty.channel.Channel ch = relay.hub().route(kc.publicKey()).channel();
            long pending = ch.unsafe().outboundBuffer() == null ? 0 : ch.unsafe().outboundBuffer().totalPendingWriteBytes();
            assertThat(pending).isLessThanOrEqualTo(128 * 1024 + 4L * Frames.MAX_PAYLOAD);
            assertOthersStillServed();
        }
    }

    @Test
    void aPeerThatPingsButNeverReadsIsClosedAsASlowConsumer() throws Exception {
        NodePrivateKey kc = NodePrivateKey.generate();
        try (RelayTestAgent c = connect()) {
            c.register(kc, "pinger", token);
            c.await(ControlMessage.PeerMap.class);
            // c never reads again and sends Pings, each asking for a Pong: 1 MiB of Ping frames per write
            byte[] ping = Frames.control(new ControlMessage.Ping(1));
            byte[] burst = new byte[(1 << 20) / ping.length * ping.length];
            for (int off = 0; off < burst.length; off += ping.length) {
                System.arraycopy(ping, 0, burst, off, ping.length);
            }
            int bursts = 0;
            try {
                while (count(RelayCounter.SLOW_CONSUMER) == 0 && bursts < 200) { // bounded: 200 MiB at most
                    c.sendRaw(burst);
                    bursts++;
                    if (bursts % 2 == 0) {
                        assertOthersStillServed(); // meanwhile; also keeps a and b answering the relay's pings
                    }
                }
            } catch (java.io.IOException closedByTheRelay) {
                // expected once the relay gives up on c
            }
            eventually(() -> count(RelayCounter.SLOW_CONSUMER) == 1);
            eventually(() -> relay.hub().route(kc.publicKey()) == null);
            assertOthersStillServed();
        }
    }

    @Test
    void streamFramesFromAnAgentDoNotHurtItsConnection() throws Exception {
        // Tunnel streams are served by dev.gridmesh.relay.tunnel (another issue); whatever it answers, a stream
        // frame from an agent must not close the agent's connection or disturb others.
        a.sendRaw(header(1, FrameType.STREAM_OPEN.code(), 7, 0));
        a.sendRaw(header(1, FrameType.STREAM_DATA.code(), 7, 0));
        assertOthersStillServed();
    }

    @Test
    void stunAnswersBindingEvenDuringAGarbageFlood() throws Exception {
        InetSocketAddress stun = relay.stunAddress();
        try (DatagramSocket s = new DatagramSocket(new InetSocketAddress(stun.getAddress(), 0))) {
            s.setSoTimeout((int) T.toMillis());
            Random r = new Random(3);
            for (int i = 0; i < 300; i++) {
                byte[] junk = new byte[r.nextInt(600)];
                r.nextBytes(junk);
                if (i % 3 == 0 && junk.length >= 20) { // STUN-looking header with broken attributes
                    System.arraycopy(HexFormat.of().parseHex("00010000" + "2112a442"), 0, junk, 0, 8);
                    junk[2] = (byte) ((junk.length - 20) >> 8);
                    junk[3] = (byte) (junk.length - 20);
                }
                s.send(new DatagramPacket(junk, junk.length, stun));
            }
            byte[] req = HexFormat.of().parseHex("000100002112a442" + "0102030405060708090a0b0c");
            s.send(new DatagramPacket(req, req.length, stun));
            DatagramPacket resp = new DatagramPacket(new byte[600], 600);
            do {
                s.receive(resp);
            } while (!(resp.getData()[0] == 0x01 && resp.getData()[1] == 0x01
                    && Arrays.equals(Arrays.copyOfRange(resp.getData(), 8, 20), Arrays.copyOfRange(req, 8, 20))));
        }
        assertThat(relay.stunEngine().successes()).isGreaterThanOrEqualTo(1);
        assertThat(relay.stunEngine().dropCounts()).isNotEmpty();
        assertOthersStillServed();
    }
}
