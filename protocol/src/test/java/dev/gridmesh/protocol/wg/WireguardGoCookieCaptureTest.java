package dev.gridmesh.protocol.wg;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gridmesh.crypto.NodePrivateKey;
import dev.gridmesh.crypto.NodePublicKey;
import dev.gridmesh.protocol.net.IpPrefix;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.random.RandomGenerator;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The cookie dance with a real wireguard-go under load (resources .../wireguard-go-cookie-capture/README.md): our
 * engine, given the same indices, ephemerals and clock, sends the same initiation, consumes wireguard-go's actual
 * cookie reply (XChaCha20-Poly1305), and retries with a mac2 byte-identical to the one wireguard-go accepted; then it
 * completes the handshake with wireguard-go's actual response.
 */
class WireguardGoCookieCaptureTest {
    static final HexFormat HEX = HexFormat.of();
    static final Map<String, byte[]> CAPTURE = new HashMap<>();

    @BeforeAll
    static void load() throws IOException {
        try (InputStream in = WireguardGoCookieCaptureTest.class
                .getResourceAsStream("wireguard-go-cookie-capture/capture.txt")) {
            for (String line : new String(in.readAllBytes(), StandardCharsets.US_ASCII).split("\n")) {
                String[] f = line.strip().split(" ");
                CAPTURE.put(f[0], HEX.parseHex(f[1]));
            }
        }
    }

    static final class Scripted implements RandomGenerator {
        final ArrayDeque<Integer> ints = new ArrayDeque<>(List.of(0x01020304, 0x01020305));
        final ArrayDeque<byte[]> ephemerals = new ArrayDeque<>(List.of(
                WireguardGoCaptureTest.seed("cookie ephemeral 1"), WireguardGoCaptureTest.seed("cookie ephemeral 2")));

        @Override
        public long nextLong() {
            return 0; // no jitter
        }

        @Override
        public int nextInt() {
            return ints.pop();
        }

        @Override
        public void nextBytes(byte[] bytes) {
            System.arraycopy(ephemerals.pop(), 0, bytes, 0, bytes.length);
        }
    }

    long epochMillis = 1780000000123L;

    @Test
    void cookieDanceWithRealWireguardGo() {
        NodePrivateKey ours = NodePrivateKey.fromBytes(WireguardGoCaptureTest.seed("initiator static"));
        NodePublicKey wgGo = NodePrivateKey.fromBytes(WireguardGoCaptureTest.seed("wireguard-go responder static"))
                .publicKey();
        WgEngine engine = new WgEngine(ours, WgTimers.standard(), new Scripted(), () -> epochMillis);
        InetSocketAddress wgGoAddr = EnginePair.addr("198.18.0.1", 46384);
        engine.upsertPeer(new WgPeerConfig(wgGo, WireguardGoCaptureTest.PSK,
                List.of(IpPrefix.parse("100.64.78.1/32")), wgGoAddr, 0));
        PacketResult r = new PacketResult();
        long now = 7_000_000_000L;

        engine.encapsulate(ByteBuffer.wrap(EnginePair.ipv4("100.64.78.2", "100.64.78.1", 8)), ByteBuffer.allocate(100),
                now, r);
        assertThat(HEX.formatHex(engine.pollTransmit().datagram())).isEqualTo(HEX.formatHex(CAPTURE.get("msg1")));

        assertThat(engine.decapsulate(wgGoAddr, ByteBuffer.wrap(CAPTURE.get("cookie")), ByteBuffer.allocate(100), now,
                r)).isEqualTo(Action.NONE);
        assertThat(engine.dropCounts()).isEmpty();

        epochMillis = 1780000001123L;
        now += Duration.ofSeconds(5).toNanos();
        engine.tick(now);
        byte[] retry = engine.pollTransmit().datagram();
        assertThat(HEX.formatHex(retry)).isEqualTo(HEX.formatHex(CAPTURE.get("retry")));

        assertThat(engine.decapsulate(wgGoAddr, ByteBuffer.wrap(CAPTURE.get("answer")), ByteBuffer.allocate(100), now,
                r)).isEqualTo(Action.NONE);
        assertThat(engine.dropCounts()).isEmpty();
        assertThat(engine.peers().get(0).lastHandshakeEpochMillis()).isEqualTo(1780000001123L);
        Transmit staged = engine.pollTransmit();
        assertThat(staged.datagram()[0]).as("the staged packet goes out on the new session").isEqualTo((byte) 4);
    }
}
