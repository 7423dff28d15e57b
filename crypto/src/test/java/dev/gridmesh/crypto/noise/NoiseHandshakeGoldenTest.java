package dev.gridmesh.crypto.noise;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gridmesh.crypto.NodePrivateKey;
import dev.gridmesh.crypto.PresharedKey;
import dev.gridmesh.crypto.cookie.CookieGenerator;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Arrays;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

/**
 * A full handshake and first transport messages checked byte for byte against an independent reference written from
 * the whitepaper in Python (src/test/resources/dev/gridmesh/crypto/noise/wg_reference.py: hashlib BLAKE2s,
 * pyca/cryptography X25519 and ChaCha20-Poly1305), fixed keys, ephemerals, timestamp and indices.
 */
class NoiseHandshakeGoldenTest {
    static final HexFormat HEX = HexFormat.of();
    static final byte[] SI = HEX.parseHex("483ac9dccb949b68b5403dc4e275aa970eb9d806dcbef2ffe4e48871d4ceec6e");
    static final byte[] SR = HEX.parseHex("3889c555c37e6ed93a5a7a6226b02a3a276fa974d6a963b0ccd654b04365d85a");
    static final byte[] EI = HEX.parseHex("600be318ccfe9b1685ba2954a24c1b57f2cec0e57e5e2e0ae7c831e91d14305f");
    static final byte[] ER = HEX.parseHex("4859b20a2e70ef843c89814a5b15c851882fccafd2ffbde0f825b60d0f90f56e");
    static final byte[] Q = HEX.parseHex("f2d9b021bd51064cb82b552bf90886c2c130d7a984b02d3c21300b2ef9f0c955");
    static final long EPOCH_MS = 1780000000123L;
    static final byte[] TS = HEX.parseHex("400000006a18a50a07000000");
    static final byte[] MSG1 = HEX.parseHex("0100000044332211e91cb54a921625d460fb12619c852bb40a21b4e55077827fd19a9bca"
            + "6607cd5cd273d6512a10a6640848105b9e99296cbad5de0f331737b94b51be805afaadc6bfebc48992d21af6b195a5e8efac2d3e"
            + "b878a0b7dbc58802d85c8f6a253bd271350705de83075182e5fe95c1551648c989ebea147ecc6101421da1a6000000000000000"
            + "00000000000000000");
    static final byte[] MSG2 = HEX.parseHex("02000000887766554433221183b5a6ba9c40fbdba070e69b84ff3d88191fba6b8c604849"
            + "de918e5a5743ef3ce6909ea2966aa8988d44b9f5f0f618e93c1c23743c0223b63ad753e71fa3c20000000000000000000000000"
            + "000000000");
    static final byte[] T_SEND_I = HEX.parseHex("aa7795f5a79720456e7301b568e5d86477dfedb76cdec1e73146f0de1f511c2d");
    static final byte[] T_RECV_I = HEX.parseHex("2fd11485d5da5542872b6a2008ef225841231ea4f2603880c6e729444a2497cd");
    static final byte[] MSG4 = HEX.parseHex("0400000088776655000000000000000063e098219a98671bc2808ab47f2d86f6a102647d"
            + "c6a4904d07a9a26cd8dcadecbf3601384c93e49f09b4e33c0fa81036");
    static final byte[] KEEPALIVE = HEX.parseHex("04000000887766550100000000000000dadb31f517cd9579bb30165d0e97bbac");

    final NodePrivateKey initiator = NodePrivateKey.fromBytes(SI);
    final NodePrivateKey responder = NodePrivateKey.fromBytes(SR);
    final PresharedKey psk = PresharedKey.fromBytes(Q);

    @Test
    void tai64nMatchesReference() {
        assertThat(Tai64n.fromEpochMillis(EPOCH_MS)).isEqualTo(TS);
    }

    @Test
    void initiationIsByteExact() {
        byte[] msg = initiationHeader();
        NoiseHandshake hs = NoiseHandshake.createInitiation(initiator, responder.publicKey(), EI, TS, msg, 8);
        assertThat(hs).isNotNull();
        new CookieGenerator(responder.publicKey(), Duration.ofMinutes(2)).addMacs(msg, 0, msg.length, 0);
        assertThat(HEX.formatHex(msg)).isEqualTo(HEX.formatHex(MSG1));
    }

    @Test
    void responderConsumesTheReferenceInitiationAndAnswersByteExact() {
        NoiseHandshake hs = NoiseHandshake.consumeInitiation(responder, MSG1, 8);
        assertThat(hs).isNotNull();
        assertThat(hs.remoteStatic()).isEqualTo(initiator.publicKey());
        assertThat(hs.timestamp()).isEqualTo(TS);
        byte[] msg = new byte[92];
        msg[0] = 2;
        System.arraycopy(HEX.parseHex("88776655"), 0, msg, 4, 4);
        System.arraycopy(HEX.parseHex("44332211"), 0, msg, 8, 4);
        SessionKeys keys = hs.createResponse(psk, ER, msg, 12);
        new CookieGenerator(initiator.publicKey(), Duration.ofMinutes(2)).addMacs(msg, 0, msg.length, 0);
        assertThat(HEX.formatHex(msg)).isEqualTo(HEX.formatHex(MSG2));
        assertThat(keys.sendKey()).isEqualTo(T_RECV_I);
        assertThat(keys.receiveKey()).isEqualTo(T_SEND_I);
    }

    @Test
    void initiatorConsumesTheReferenceResponse() {
        NoiseHandshake hs = NoiseHandshake.createInitiation(initiator, responder.publicKey(), EI, TS,
                initiationHeader(), 8);
        SessionKeys keys = hs.consumeResponse(psk, MSG2, 12);
        assertThat(keys).isNotNull();
        assertThat(keys.initiator()).isTrue();
        assertThat(keys.sendKey()).isEqualTo(T_SEND_I);
        assertThat(keys.receiveKey()).isEqualTo(T_RECV_I);
    }

    @Test
    void wrongPresharedKeyFailsTheResponse() {
        NoiseHandshake hs = NoiseHandshake.createInitiation(initiator, responder.publicKey(), EI, TS,
                initiationHeader(), 8);
        assertThat(hs.consumeResponse(PresharedKey.NONE, MSG2, 12)).isNull();
        // the handshake stays usable for the genuine response
        assertThat(hs.consumeResponse(psk, MSG2, 12)).isNotNull();
    }

    @Test
    void initiationForSomeoneElseDoesNotAuthenticate() {
        assertThat(NoiseHandshake.consumeInitiation(initiator, MSG1, 8)).isNull();
        byte[] tampered = MSG1.clone();
        tampered[50] ^= 1;
        assertThat(NoiseHandshake.consumeInitiation(responder, tampered, 8)).isNull();
    }

    @Test
    void transportMessagesMatchReferenceWithTheJdkCipher() {
        TransportCipher c = new TransportCipher();
        ByteBuffer out = ByteBuffer.allocate(64);
        out.position(16);
        byte[] payload = new byte[32];
        for (int i = 0; i < 32; i++) {
            payload[i] = (byte) i;
        }
        c.seal(TransportCipher.key(T_SEND_I), 0, ByteBuffer.wrap(payload), 0, out);
        assertThat(Arrays.copyOfRange(out.array(), 16, out.position()))
                .isEqualTo(Arrays.copyOfRange(MSG4, 16, MSG4.length));
        ByteBuffer ka = ByteBuffer.allocate(32);
        ka.position(16);
        c.seal(TransportCipher.key(T_SEND_I), 1, ByteBuffer.allocate(0), 0, ka);
        assertThat(Arrays.copyOfRange(ka.array(), 16, 32)).isEqualTo(Arrays.copyOfRange(KEEPALIVE, 16, 32));

        ByteBuffer plain = ByteBuffer.allocate(64);
        int n = c.open(TransportCipher.key(T_SEND_I), 0, ByteBuffer.wrap(MSG4, 16, MSG4.length - 16), plain);
        assertThat(n).isEqualTo(32);
        assertThat(Arrays.copyOf(plain.array(), 32)).isEqualTo(payload);
        assertThat(c.open(TransportCipher.key(T_SEND_I), 1, ByteBuffer.wrap(MSG4, 16, MSG4.length - 16),
                ByteBuffer.allocate(64))).isEqualTo(-1);
        assertThat(c.open(TransportCipher.key(T_RECV_I), 0, ByteBuffer.wrap(MSG4, 16, MSG4.length - 16),
                ByteBuffer.allocate(64))).isEqualTo(-1);
    }

    @Test
    void sealPadsWithZeros() {
        TransportCipher c = new TransportCipher();
        byte[] key = T_SEND_I;
        ByteBuffer out = ByteBuffer.allocate(64);
        c.seal(TransportCipher.key(key), 5, ByteBuffer.wrap(new byte[] {1, 2, 3}), 13, out);
        assertThat(out.position()).isEqualTo(32);
        byte[] padded = new byte[16];
        padded[0] = 1;
        padded[1] = 2;
        padded[2] = 3;
        assertThat(Arrays.copyOf(out.array(), 32)).isEqualTo(ChaChaPoly.seal(key, 5, padded, new byte[0]));
    }

    private static byte[] initiationHeader() {
        byte[] msg = new byte[148];
        msg[0] = 1;
        System.arraycopy(HEX.parseHex("44332211"), 0, msg, 4, 4);
        return msg;
    }
}
