package dev.gridmesh.nat.disco;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gridmesh.crypto.NodePrivateKey;
import dev.gridmesh.crypto.NodePublicKey;
import dev.gridmesh.nat.classify.MappingBehavior;
import dev.gridmesh.nat.demux.DatagramDemux;
import dev.gridmesh.nat.demux.DatagramKind;
import dev.gridmesh.nat.disco.DiscoMessage.CallMeMaybe;
import dev.gridmesh.nat.disco.DiscoMessage.Ping;
import dev.gridmesh.nat.disco.DiscoMessage.Pong;
import dev.gridmesh.nat.stun.TransactionId;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.SplittableRandom;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;

class DiscoBoxTest {
    static final SplittableRandom RNG = new SplittableRandom(1);
    static NodePrivateKey key(int seed) {
        byte[] b = new byte[32];
        new SplittableRandom(seed).nextBytes(b);
        return NodePrivateKey.fromBytes(b);
    }

    final NodePrivateKey a = key(1);
    final NodePrivateKey b = key(2);
    final DiscoBox boxA = new DiscoBox(a, new SplittableRandom(10));
    final DiscoBox boxB = new DiscoBox(b, new SplittableRandom(20));

    @Test
    void roundTripsEveryMessageAndNamesTheSender() {
        TransactionId tx = TransactionId.random(RNG);
        List<DiscoMessage> msgs = List.of(new Ping(tx),
                new Pong(tx, new InetSocketAddress("198.18.0.2", 51820)),
                new Pong(tx, new InetSocketAddress("2001:db8::7", 1)),
                new CallMeMaybe(List.of(new InetSocketAddress("198.18.0.2", 51820), new InetSocketAddress("198.19.1.2", 51820))),
                new CallMeMaybe(List.of()),
                new CallMeMaybe(List.of(new InetSocketAddress("198.18.0.2", 51820)), MappingBehavior.ENDPOINT_DEPENDENT),
                new CallMeMaybe(List.of(), MappingBehavior.ENDPOINT_INDEPENDENT),
                new CallMeMaybe(List.of(new InetSocketAddress("198.18.0.2", 1)), MappingBehavior.NO_NAT));
        for (DiscoMessage m : msgs) {
            byte[] sealed = boxA.seal(b.publicKey(), m);
            assertThat(DatagramDemux.classify(sealed, 0, sealed.length)).isEqualTo(DatagramKind.DISCO);
            DiscoDecoded d = boxB.open(ByteBuffer.wrap(sealed), k -> true);
            assertThat(d).isEqualTo(new DiscoDecoded.Ok(a.publicKey(), m));
        }
    }

    @Test
    void pongIsNoLargerThanPing() {
        TransactionId tx = TransactionId.random(RNG);
        int ping = boxA.seal(b.publicKey(), new Ping(tx)).length;
        int pong = boxB.seal(a.publicKey(), new Pong(tx, new InetSocketAddress("2001:db8::1", 9))).length;
        assertThat(pong).isLessThanOrEqualTo(ping);
    }

    @Test
    void forgedTamperedOrMisaddressedPacketsFail() {
        byte[] sealed = boxA.seal(b.publicKey(), new Ping(TransactionId.random(RNG)));
        // someone else (c) cannot open what a sealed for b
        DiscoBox boxC = new DiscoBox(key(3), new SplittableRandom(30));
        assertThat(boxC.open(ByteBuffer.wrap(sealed), k -> true)).isEqualTo(new DiscoDecoded.Err(DiscoError.DECRYPT_FAILED));
        // flipping any byte after the magic breaks it
        for (int i = DatagramDemux.DISCO_MAGIC_LENGTH; i < sealed.length; i += 7) {
            byte[] t = sealed.clone();
            t[i] ^= 1;
            assertThat(boxB.open(ByteBuffer.wrap(t), k -> true)).as("byte %d", i).isInstanceOf(DiscoDecoded.Err.class);
        }
        // c claiming to be a: the AEAD key differs, so it fails
        byte[] forged = boxC.seal(b.publicKey(), new Ping(TransactionId.random(RNG)));
        a.publicKey().copyTo(forged, DatagramDemux.DISCO_MAGIC_LENGTH);
        assertThat(boxB.open(ByteBuffer.wrap(forged), k -> true)).isEqualTo(new DiscoDecoded.Err(DiscoError.DECRYPT_FAILED));
    }

    @Test
    void unknownSendersAreRefusedBeforeKeyAgreement() {
        byte[] sealed = boxA.seal(b.publicKey(), new Ping(TransactionId.random(RNG)));
        NodePublicKey onlyKnown = key(9).publicKey();
        assertThat(boxB.open(ByteBuffer.wrap(sealed), onlyKnown::equals)).isEqualTo(new DiscoDecoded.Err(DiscoError.UNKNOWN_SENDER));
    }

    @Test
    void lowOrderKeyIsRefused() {
        byte[] sealed = boxA.seal(b.publicKey(), new Ping(TransactionId.random(RNG)));
        System.arraycopy(new byte[32], 0, sealed, DatagramDemux.DISCO_MAGIC_LENGTH, 32); // the all-zero point
        assertThat(boxB.open(ByteBuffer.wrap(sealed), k -> true)).isEqualTo(new DiscoDecoded.Err(DiscoError.BAD_KEY));
    }

    @Test
    void shortAndForeignInput() {
        assertThat(boxB.open(ByteBuffer.wrap(new byte[] {1, 0, 0, 0}), k -> true)).isEqualTo(new DiscoDecoded.Err(DiscoError.NOT_DISCO));
        ByteBuffer shortOne = ByteBuffer.allocate(20);
        DatagramDemux.putDiscoMagic(shortOne);
        assertThat(boxB.open(shortOne.clear(), k -> true)).isEqualTo(new DiscoDecoded.Err(DiscoError.TOO_SHORT));
    }

    /** Decrypts with the JDK directly, following only the format documented atop DiscoBox. */
    @Test
    void wireFormatMatchesTheDocumentedLayout() throws Exception {
        TransactionId tx = TransactionId.fromBytes(java.util.HexFormat.of().parseHex("0102030405060708090a0b0c"));
        byte[] sealed = boxA.seal(b.publicKey(), new Pong(tx, new InetSocketAddress("198.18.0.2", 51820)));
        assertThat(sealed).hasSize(6 + 32 + 12 + 2 + 12 + 18 + 16);
        assertThat(java.util.Arrays.copyOfRange(sealed, 0, 6)).isEqualTo(new byte[] {'G', 'M', (byte) 0xF0, (byte) 0x9F, (byte) 0x92, (byte) 0xAC});
        assertThat(java.util.Arrays.copyOfRange(sealed, 6, 38)).isEqualTo(a.publicKey().toBytes());
        byte[] dh = new byte[32];
        assertThat(b.agree(a.publicKey(), dh, 0)).isTrue();
        byte[] pa = a.publicKey().toBytes();
        byte[] pb = b.publicKey().toBytes();
        boolean aLower = java.util.Arrays.compareUnsigned(pa, pb) < 0;
        javax.crypto.Mac mac = javax.crypto.Mac.getInstance("HmacSHA256");
        mac.init(new javax.crypto.spec.SecretKeySpec("gridmesh disco v1".getBytes(java.nio.charset.StandardCharsets.US_ASCII), "HmacSHA256"));
        mac.update(dh);
        mac.update(aLower ? pa : pb);
        mac.update(aLower ? pb : pa);
        javax.crypto.Cipher c = javax.crypto.Cipher.getInstance("ChaCha20-Poly1305");
        c.init(javax.crypto.Cipher.DECRYPT_MODE, new javax.crypto.spec.SecretKeySpec(mac.doFinal(), "ChaCha20"),
                new javax.crypto.spec.IvParameterSpec(java.util.Arrays.copyOfRange(sealed, 38, 50)));
        c.updateAAD(sealed, 0, 38);
        byte[] plain = c.doFinal(sealed, 50, sealed.length - 50);
        assertThat(java.util.HexFormat.of().formatHex(plain)).isEqualTo(
                "0200" + "0102030405060708090a0b0c" + "00000000000000000000ffffc6120002" + "ca6c");
    }

    /** The call-me-maybe's nat byte: absent when unknown (the old form), one byte after the endpoints otherwise. */
    @Test
    void callMeMaybeCarriesTheSendersNatKindAsOneTrailingByte() throws Exception {
        InetSocketAddress ep = new InetSocketAddress("198.18.0.2", 51820);
        int old = boxA.seal(b.publicKey(), new CallMeMaybe(List.of(ep))).length;
        assertThat(old).isEqualTo(6 + 32 + 12 + 2 + 18 + 16);
        byte[] sealed = boxA.seal(b.publicKey(), new CallMeMaybe(List.of(ep), MappingBehavior.ENDPOINT_DEPENDENT));
        assertThat(sealed).hasSize(old + 1);
        assertThat(plaintext(sealed)).isEqualTo("0300" + "00000000000000000000ffffc6120002" + "ca6c" + "03");
        sealed = boxA.seal(b.publicKey(), new CallMeMaybe(List.of(ep), MappingBehavior.ENDPOINT_INDEPENDENT));
        assertThat(plaintext(sealed)).endsWith("ca6c02");
        sealed = boxA.seal(b.publicKey(), new CallMeMaybe(List.of(ep), MappingBehavior.NO_NAT));
        assertThat(plaintext(sealed)).endsWith("ca6c01");
    }

    private String plaintext(byte[] sealed) throws Exception {
        byte[] dh = new byte[32];
        assertThat(b.agree(a.publicKey(), dh, 0)).isTrue();
        byte[] pa = a.publicKey().toBytes();
        byte[] pb = b.publicKey().toBytes();
        boolean aLower = java.util.Arrays.compareUnsigned(pa, pb) < 0;
        javax.crypto.Mac mac = javax.crypto.Mac.getInstance("HmacSHA256");
        mac.init(new javax.crypto.spec.SecretKeySpec("gridmesh disco v1".getBytes(java.nio.charset.StandardCharsets.US_ASCII), "HmacSHA256"));
        mac.update(dh);
        mac.update(aLower ? pa : pb);
        mac.update(aLower ? pb : pa);
        javax.crypto.Cipher c = javax.crypto.Cipher.getInstance("ChaCha20-Poly1305");
        c.init(javax.crypto.Cipher.DECRYPT_MODE, new javax.crypto.spec.SecretKeySpec(mac.doFinal(), "ChaCha20"),
                new javax.crypto.spec.IvParameterSpec(java.util.Arrays.copyOfRange(sealed, 38, 50)));
        c.updateAAD(sealed, 0, 38);
        return java.util.HexFormat.of().formatHex(c.doFinal(sealed, 50, sealed.length - 50));
    }

    @Property(tries = 500)
    void garbageAfterTheMagicNeverThrows(@ForAll @Size(max = 200) byte[] tail) {
        ByteBuffer p = ByteBuffer.allocate(6 + tail.length);
        DatagramDemux.putDiscoMagic(p);
        p.put(tail).flip();
        assertThat(boxB.open(p, k -> true)).isInstanceOf(DiscoDecoded.Err.class);
    }
}
