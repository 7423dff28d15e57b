package dev.gridmesh.protocol.wg;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gridmesh.crypto.NodePrivateKey;
import dev.gridmesh.crypto.NodePublicKey;
import dev.gridmesh.crypto.PresharedKey;
import dev.gridmesh.crypto.cookie.CookieChecker;
import dev.gridmesh.crypto.cookie.CookieGenerator;
import dev.gridmesh.crypto.noise.NoiseHandshake;
import dev.gridmesh.crypto.noise.SessionKeys;
import dev.gridmesh.crypto.noise.TransportCipher;
import dev.gridmesh.protocol.net.IpPrefix;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Datagrams captured from a real wireguard-go (see resources .../wireguard-go-capture/README.md). */
class WireguardGoCaptureTest {
    static final HexFormat HEX = HexFormat.of();
    static Map<String, byte[]> capture = new HashMap<>();
    static byte[] plain;

    static final NodePrivateKey RESPONDER = NodePrivateKey.fromBytes(seed("responder static"));
    static final byte[] RESPONDER_EPHEMERAL = seed("responder ephemeral");
    public static final PresharedKey PSK = PresharedKey.fromBytes(seed("preshared key"));
    static final NodePublicKey WIREGUARD_GO = NodePublicKey.fromBase64("gfFICT+ieMYjBPOg+maFZ6pv27+8eDZEfzUnwDQ3Yhk=");

    @BeforeAll
    static void load() throws IOException {
        try (InputStream in = WireguardGoCaptureTest.class.getResourceAsStream("wireguard-go-capture/capture.txt")) {
            for (String line : new String(in.readAllBytes(), StandardCharsets.US_ASCII).split("\n")) {
                String[] f = line.strip().split(" ");
                if (f[0].equals("plain")) {
                    plain = HEX.parseHex(f[2]);
                } else {
                    capture.put(f[0], HEX.parseHex(f[1]));
                }
            }
        }
    }

    public static byte[] seed(String s) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.US_ASCII));
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void codecRoundTripsTheCapturedMessages() {
        for (String name : List.of("msg1", "msg2", "msg")) {
            byte[] m = capture.get(name);
            assertThat(WgMessage.check(ByteBuffer.wrap(m))).isNull();
            WgMessage parsed = WgMessage.parse(m);
            assertThat(parsed.encode()).isEqualTo(m);
        }
        assertThat(WgMessage.parse(capture.get("msg1"))).isInstanceOf(WgMessage.Initiation.class);
        WgMessage.Response r = (WgMessage.Response) WgMessage.parse(capture.get("msg2"));
        assertThat(r.sender()).isEqualTo(0x55667788);
        WgMessage.Initiation i = (WgMessage.Initiation) WgMessage.parse(capture.get("msg1"));
        assertThat(r.receiver()).isEqualTo(i.sender());
        WgMessage.Transport t = (WgMessage.Transport) WgMessage.parse(capture.get("msg"));
        assertThat(t.counter()).isZero();
        assertThat(t.encryptedPacket().length % 16).isZero();
    }

    @Test
    void mac1OfTheRealInitiationChecks() {
        CookieChecker checker = new CookieChecker(RESPONDER.publicKey(), Duration.ofMinutes(2), new Random(1));
        byte[] m = capture.get("msg1");
        assertThat(checker.checkMac1(m, 0, m.length)).isTrue();
        assertThat(Arrays.copyOfRange(m, 132, 148)).isEqualTo(new byte[16]); // no cookie: mac2 zero
        CookieChecker wrong = new CookieChecker(WIREGUARD_GO, Duration.ofMinutes(2), new Random(1));
        assertThat(wrong.checkMac1(m, 0, m.length)).isFalse();
    }

    @Test
    void ourNoiseConsumesTheRealInitiationAnswersByteExactAndDecryptsItsTransport() {
        byte[] m1 = capture.get("msg1");
        NoiseHandshake hs = NoiseHandshake.consumeInitiation(RESPONDER, m1, 8);
        assertThat(hs).isNotNull();
        assertThat(hs.remoteStatic()).isEqualTo(WIREGUARD_GO);
        assertThat(hs.timestamp()).isEqualTo(capture.get("ts"));
        byte[] m2 = new byte[92];
        m2[0] = 2;
        LittleEndian.writeInt(m2, 4, 0x55667788);
        System.arraycopy(m1, 4, m2, 8, 4);
        SessionKeys keys = hs.createResponse(PSK, RESPONDER_EPHEMERAL, m2, 12);
        new CookieGenerator(WIREGUARD_GO, Duration.ofMinutes(2)).addMacs(m2, 0, 92, 0);
        assertThat(HEX.formatHex(m2)).isEqualTo(HEX.formatHex(capture.get("msg2")));

        byte[] m4 = capture.get("msg");
        ByteBuffer out = ByteBuffer.allocate(200);
        int n = new TransportCipher().open(TransportCipher.key(keys.receiveKey()), 0,
                ByteBuffer.wrap(m4, 16, m4.length - 16), out);
        assertThat(n).isEqualTo(96);
        assertThat(Arrays.copyOf(out.array(), n)).isEqualTo(plain);
        assertThat(plain[0]).isEqualTo((byte) 0x45);
        assertThat(((plain[2] & 0xff) << 8) | (plain[3] & 0xff)).isEqualTo(84); // IPv4 total length, then padding
    }

    @Test
    void engineAnswersTheRealInitiation() {
        WgEngine engine = new WgEngine(RESPONDER, WgTimers.standard(), new Random(3), () -> 1_780_000_000_000L);
        engine.upsertPeer(new WgPeerConfig(WIREGUARD_GO, PSK, List.of(IpPrefix.parse("100.64.77.1/32")), null, 0));
        ByteBuffer dst = ByteBuffer.allocate(2048);
        PacketResult r = new PacketResult();
        InetSocketAddress from = EnginePair.addr("198.18.0.9", 45879);
        Action a = engine.decapsulate(from, ByteBuffer.wrap(capture.get("msg1")), dst, 0, r);
        assertThat(a).isEqualTo(Action.SEND);
        assertThat(r.peer).isEqualTo(WIREGUARD_GO);
        assertThat(r.endpoint).isEqualTo(from);
        assertThat(dst.remaining()).isEqualTo(92);
        WgMessage.Response resp = (WgMessage.Response) WgMessage.parse(dst);
        assertThat(resp.receiver()).isEqualTo(((WgMessage.Initiation) WgMessage.parse(capture.get("msg1"))).sender());
        assertThat(engine.peers().get(0).endpoint()).isEqualTo(from);
        // the same initiation again is a replay (timestamp not newer)
        Action again = engine.decapsulate(from, ByteBuffer.wrap(capture.get("msg1")), ByteBuffer.allocate(2048), 1, r);
        assertThat(again).isEqualTo(Action.DROP);
        assertThat(r.dropReason).isEqualTo(DropReason.REPLAYED_INITIATION);
    }
}
