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
import java.util.Arrays;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.random.RandomGenerator;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Our engine as initiator replays an exchange with a real wireguard-go responder (resources
 * .../wireguard-go-responder-capture/README.md): with the same index, ephemeral key and clock, its initiation and
 * first transport message are byte-identical to the ones wireguard-go accepted, and it decrypts wireguard-go's
 * actual response and echo reply.
 */
class WireguardGoResponderCaptureTest {
    static final HexFormat HEX = HexFormat.of();
    static final Map<String, byte[]> CAPTURE = new HashMap<>();

    @BeforeAll
    static void load() throws IOException {
        try (InputStream in = WireguardGoResponderCaptureTest.class
                .getResourceAsStream("wireguard-go-responder-capture/capture.txt")) {
            for (String line : new String(in.readAllBytes(), StandardCharsets.US_ASCII).split("\n")) {
                String[] f = line.strip().split(" ");
                CAPTURE.put(f[0], HEX.parseHex(f[1]));
            }
        }
    }

    /** Hands out exactly what the captured initiator used: sender index, then the ephemeral key; jitter 0. */
    static final class Scripted implements RandomGenerator {
        @Override
        public long nextLong() {
            return 0;
        }

        @Override
        public int nextInt() {
            return 0x0a0b0c0d;
        }

        @Override
        public void nextBytes(byte[] bytes) {
            byte[] e = WireguardGoCaptureTest.seed("initiator ephemeral");
            System.arraycopy(e, 0, bytes, 0, bytes.length);
        }
    }

    @Test
    void engineInitiatesExactlyAsTheAcceptedCaptureAndDecryptsWireguardGosAnswers() {
        NodePrivateKey ours = NodePrivateKey.fromBytes(WireguardGoCaptureTest.seed("initiator static"));
        NodePublicKey wgGo = NodePrivateKey.fromBytes(WireguardGoCaptureTest.seed("wireguard-go responder static"))
                .publicKey();
        WgEngine engine = new WgEngine(ours, WgTimers.standard(), new Scripted(), () -> 1780000000123L);
        InetSocketAddress wgGoAddr = EnginePair.addr("198.18.0.1", 45968);
        engine.upsertPeer(new WgPeerConfig(wgGo, WireguardGoCaptureTest.PSK, List.of(IpPrefix.parse("100.64.78.1/32")),
                wgGoAddr, 0));
        PacketResult r = new PacketResult();
        long now = 5_000_000_000L;

        assertThat(engine.encapsulate(ByteBuffer.wrap(CAPTURE.get("ping")), ByteBuffer.allocate(200), now, r))
                .isEqualTo(Action.NONE);
        Transmit init = engine.pollTransmit();
        assertThat(init.endpoint()).isEqualTo(wgGoAddr);
        assertThat(HEX.formatHex(init.datagram())).isEqualTo(HEX.formatHex(CAPTURE.get("msg1")));

        assertThat(engine.decapsulate(wgGoAddr, ByteBuffer.wrap(CAPTURE.get("msg2")), ByteBuffer.allocate(200), now,
                r)).isEqualTo(Action.NONE);
        assertThat(engine.dropCounts()).isEmpty();
        Transmit ping = engine.pollTransmit();
        assertThat(HEX.formatHex(ping.datagram())).isEqualTo(HEX.formatHex(CAPTURE.get("msg4")));
        assertThat(engine.pollTransmit()).isNull();

        ByteBuffer tun = ByteBuffer.allocate(200);
        assertThat(engine.decapsulate(wgGoAddr, ByteBuffer.wrap(CAPTURE.get("reply")), tun, now, r))
                .isEqualTo(Action.WRITE_TUN);
        byte[] echoReply = EnginePair.copy(tun);
        assertThat(echoReply).isEqualTo(Arrays.copyOf(CAPTURE.get("plain"), 44));
        assertThat(echoReply[20]).as("ICMP echo reply").isZero();
        assertThat(engine.peers().get(0).lastHandshakeEpochMillis()).isEqualTo(1780000000123L);
    }
}
