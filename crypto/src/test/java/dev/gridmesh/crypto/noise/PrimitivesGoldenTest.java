package dev.gridmesh.crypto.noise;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gridmesh.crypto.NodePrivateKey;
import dev.gridmesh.crypto.NodePublicKey;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

/** Published vectors (RFC 7693, RFC 7748, RFC 8439, draft-irtf-cfrg-xchacha-03) and reference-computed ones. */
class PrimitivesGoldenTest {
    static final HexFormat HEX = HexFormat.of();

    @Test
    void blake2sAbcRfc7693() {
        assertThat(HEX.formatHex(Blake2s.hash("abc".getBytes(StandardCharsets.US_ASCII))))
                .isEqualTo("508c5e8c327c14e2e1a72ba34eeb452f37458b209ed63a294d999b4c86675982");
    }

    @Test
    void hmacKdfAndMacMatchTheReference() {
        // values from wg_reference.py (Python hmac + hashlib.blake2s)
        assertThat(HEX.formatHex(Blake2s.hmac("Jefe".getBytes(StandardCharsets.US_ASCII),
                "what do ya want for nothing?".getBytes(StandardCharsets.US_ASCII))))
                .isEqualTo("90b6281e2f3038c9056af0b4a7e763cae6fe5d9eb4386a0ec95237890c104ff0");
        byte[][] k = Blake2s.kdf3(new byte[32], "input".getBytes(StandardCharsets.US_ASCII));
        assertThat(HEX.formatHex(k[0])).isEqualTo("fbff6119f265251560576e82518f61aeb420cff55b5dcf649475b758a01f3951");
        assertThat(HEX.formatHex(k[1])).isEqualTo("a534dd2f7d3e7e614508dba7c675d5cf1008b383670cd8fd46231aa38bbfb618");
        assertThat(HEX.formatHex(k[2])).isEqualTo("618328297d2af9af1df2c2ef6bba1ab41ddfb8e0fd0ee8bdb7ef237790eba011");
        assertThat(Blake2s.kdf1(new byte[32], "input".getBytes(StandardCharsets.US_ASCII))).isEqualTo(k[0]);
        byte[] key = new byte[32];
        for (int i = 0; i < 32; i++) {
            key[i] = (byte) i;
        }
        byte[] abc = "abc".getBytes(StandardCharsets.US_ASCII);
        assertThat(HEX.formatHex(Blake2s.mac(key, abc, 0, 3))).isEqualTo("61ba5f165c194692e09d12520cc4c74a");
    }

    @Test
    void noiseInitialValues() {
        assertThat(Noise.initialChainKey()).isEqualTo(Blake2s.hash(Noise.CONSTRUCTION.getBytes(StandardCharsets.US_ASCII)));
        // the well-known WireGuard initial chaining key and hash (e.g. as printed by boringtun/wireguard-go)
        assertThat(HEX.formatHex(Noise.initialChainKey()))
                .isEqualTo("60e26daef327efc02ec335e2a025d2d016eb4206f87277f52d38d1988b78cd36");
        assertThat(HEX.formatHex(Noise.initialHash()))
                .isEqualTo("2211b361081ac566691243db458ad5322d9c6c662293e8b70ee19c65ba079ef3");
    }

    @Test
    void x25519Rfc7748Section6_1() {
        NodePrivateKey alice = NodePrivateKey.fromBytes(
                HEX.parseHex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a"));
        NodePrivateKey bob = NodePrivateKey.fromBytes(
                HEX.parseHex("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb"));
        assertThat(HEX.formatHex(alice.publicKey().toBytes()))
                .isEqualTo("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a");
        assertThat(HEX.formatHex(bob.publicKey().toBytes()))
                .isEqualTo("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f");
        byte[] shared = new byte[32];
        assertThat(alice.agree(bob.publicKey(), shared, 0)).isTrue();
        assertThat(HEX.formatHex(shared)).isEqualTo("4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742");
        assertThat(alice.agree(NodePublicKey.fromBytes(new byte[32]), shared, 0)).isFalse();
    }

    static final String SUNSCREEN = "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for "
            + "the future, sunscreen would be it.";
    static final byte[] KEY_80 = HEX.parseHex("808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f");
    static final byte[] AAD = HEX.parseHex("50515253c0c1c2c3c4c5c6c7");

    @Test
    void chacha20Poly1305Rfc8439Section2_8_2() {
        byte[] ct = ChaChaPoly.sealWithNonce(KEY_80, HEX.parseHex("070000004041424344454647"),
                SUNSCREEN.getBytes(StandardCharsets.US_ASCII), AAD);
        assertThat(HEX.formatHex(ct)).isEqualTo("d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d6"
                + "3dbea45e8ca9671282fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b3692ddbd7f2d778b8c9803aee328091b58"
                + "fab324e4fad675945585808b4831d7bc3ff4def08e4b7a9de576d26586cec64b6116"
                + "1ae10b594f09e26a7e902ecbd0600691");
        assertThat(ChaChaPoly.openWithNonce(KEY_80, HEX.parseHex("070000004041424344454647"), ct, 0, ct.length, AAD))
                .isEqualTo(SUNSCREEN.getBytes(StandardCharsets.US_ASCII));
        ct[3] ^= 1;
        assertThat(ChaChaPoly.openWithNonce(KEY_80, HEX.parseHex("070000004041424344454647"), ct, 0, ct.length, AAD))
                .isNull();
    }

    @Test
    void hchacha20DraftSection2_2_1() {
        byte[] key = new byte[32];
        for (int i = 0; i < 32; i++) {
            key[i] = (byte) i;
        }
        assertThat(HEX.formatHex(XChaCha20Poly1305.hChaCha20(key, HEX.parseHex("000000090000004a0000000031415927"))))
                .isEqualTo("82413b4227b27bfed30e42508a877d73a0f9e4d58a74a853c12ec41326d3ecdc");
    }

    @Test
    void xchacha20Poly1305DraftAppendixA3_1() {
        byte[] nonce = HEX.parseHex("404142434445464748494a4b4c4d4e4f5051525354555657");
        byte[] ct = XChaCha20Poly1305.seal(KEY_80, nonce, SUNSCREEN.getBytes(StandardCharsets.US_ASCII), AAD);
        assertThat(HEX.formatHex(ct)).isEqualTo("bd6d179d3e83d43b9576579493c0e939572a1700252bfaccbed2902c21396cbb"
                + "731c7f1b0b4aa6440bf3a82f4eda7e39ae64c6708c54c216cb96b72e1213b4522f8c9ba40db5d945b11b69b982c1bb9e"
                + "3f3fac2bc369488f76b2383565d3fff921f9664c97637da9768812f615c68b13b52e"
                + "c0875924c1c7987947deafd8780acf49");
        assertThat(XChaCha20Poly1305.open(KEY_80, nonce, ct, 0, ct.length, AAD))
                .isEqualTo(SUNSCREEN.getBytes(StandardCharsets.US_ASCII));
        assertThat(XChaCha20Poly1305.open(KEY_80, nonce, ct, 0, ct.length, new byte[0])).isNull();
    }
}
