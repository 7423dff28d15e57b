package dev.gridmesh.nat.stun;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gridmesh.nat.stun.StunAttribute.ErrorCode;
import dev.gridmesh.nat.stun.StunAttribute.Fingerprint;
import dev.gridmesh.nat.stun.StunAttribute.OtherAddress;
import dev.gridmesh.nat.stun.StunAttribute.Raw;
import dev.gridmesh.nat.stun.StunAttribute.ResponseOrigin;
import dev.gridmesh.nat.stun.StunAttribute.UnknownAttributes;
import dev.gridmesh.nat.stun.StunServer.DropReason;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.HexFormat;
import java.util.List;
import java.util.SplittableRandom;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;

class StunServerTest {
    static final InetSocketAddress CLIENT = new InetSocketAddress(addr("198.18.5.6"), 51820);
    static final InetSocketAddress LOCAL = new InetSocketAddress(addr("198.18.0.1"), 3478);
    static final InetSocketAddress OTHER = new InetSocketAddress(addr("198.18.0.1"), 3479);
    final SplittableRandom rng = new SplittableRandom(7);
    final StunServer server = new StunServer("gridmesh-test", OTHER);
    final ByteBuffer out = ByteBuffer.allocate(1500);

    static InetAddress addr(String s) {
        try {
            return InetAddress.getByName(s);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    StunMessage reply() {
        out.flip();
        return ((StunDecoded.Ok) StunCodec.decode(out)).message();
    }

    @Test
    void answersBindingWithXorMappedAddressOriginAndOther() {
        TransactionId tx = TransactionId.random(rng);
        StunServer.Result r = server.handle(CLIENT, LOCAL, ByteBuffer.wrap(StunCodec.encode(StunMessage.bindingRequest(tx))), out);
        assertThat(r.reply()).isTrue();
        StunMessage m = reply();
        assertThat(m.messageClass()).isEqualTo(StunClass.SUCCESS_RESPONSE);
        assertThat(m.transactionId()).isEqualTo(tx);
        assertThat(m.attribute(StunAttribute.XorMappedAddress.class).orElseThrow().address()).isEqualTo(CLIENT);
        assertThat(m.attribute(StunAttribute.MappedAddress.class).orElseThrow().address()).isEqualTo(CLIENT);
        assertThat(m.attribute(ResponseOrigin.class).orElseThrow().address()).isEqualTo(LOCAL);
        assertThat(m.attribute(OtherAddress.class).orElseThrow().address()).isEqualTo(OTHER);
        assertThat(m.attributes().getLast()).isInstanceOf(Fingerprint.class);
        assertThat(server.successes()).isEqualTo(1);
        assertThat(server.dropCounts()).isEmpty();
    }

    @Test
    void answersIpv6Client() {
        var c6 = new InetSocketAddress(addr("2001:db8::5"), 4000);
        server.handle(c6, ByteBuffer.wrap(StunCodec.encode(StunMessage.bindingRequest(TransactionId.random(rng)))), out);
        assertThat(reply().mappedAddress()).contains(c6);
    }

    @Test
    void unknownComprehensionRequiredGets420WithTheTypes() {
        TransactionId tx = TransactionId.random(rng);
        byte[] req = StunCodec.encode(StunMessage.bindingRequest(tx, new Raw(0x0024, new byte[4]),
                new Raw(0x7777, new byte[1]), new Raw(0x8888, new byte[2]), new Fingerprint(0)));
        StunServer.Result r = server.handle(CLIENT, ByteBuffer.wrap(req), out);
        assertThat(r).isEqualTo(new StunServer.Result.Reply(true, DropReason.UNKNOWN_COMPREHENSION_REQUIRED));
        StunMessage m = reply();
        assertThat(m.messageClass()).isEqualTo(StunClass.ERROR_RESPONSE);
        assertThat(m.attribute(ErrorCode.class).orElseThrow().code()).isEqualTo(420);
        assertThat(m.attribute(UnknownAttributes.class).orElseThrow().types()).containsExactly(0x0024, 0x7777);
        assertThat(m.attributes().getLast()).isInstanceOf(Fingerprint.class);
        assertThat(server.drops(DropReason.UNKNOWN_COMPREHENSION_REQUIRED)).isEqualTo(1);
    }

    @Test
    void rfc5769SampleRequestGets420ForPriority() {
        server.handle(CLIENT, StunCodecTest.hex(StunCodecTest.RFC5769_REQUEST), out);
        assertThat(reply().attribute(UnknownAttributes.class).orElseThrow().types()).containsExactly(0x0024);
    }

    @Test
    void changeRequestWithoutAlternateGets420AndZeroFlagsAreFine() {
        server.handle(CLIENT, ByteBuffer.wrap(StunCodec.encode(StunMessage.bindingRequest(TransactionId.random(rng),
                new StunAttribute.ChangeRequest(false, false)))), out);
        assertThat(reply().messageClass()).isEqualTo(StunClass.SUCCESS_RESPONSE);
        out.clear();
        server.handle(CLIENT, ByteBuffer.wrap(StunCodec.encode(StunMessage.bindingRequest(TransactionId.random(rng),
                new StunAttribute.ChangeRequest(false, true)))), out);
        assertThat(reply().attribute(ErrorCode.class).orElseThrow().code()).isEqualTo(420);
    }

    @Test
    void dropsAreCountedByReason() {
        TransactionId tx = TransactionId.random(rng);
        drop(new byte[] {1, 0, 0, 0, 5, 5, 5, 5}, DropReason.NOT_STUN);
        drop(HexFormat.of().parseHex("000100042112a442b7e7a701bc34d686fa87dfae"), DropReason.BAD_LENGTH);
        drop(HexFormat.of().parseHex("0001000c2112a442b7e7a701bc34d686fa87dfae000100080003000001020304"),
                DropReason.MALFORMED_ATTRIBUTE);
        byte[] fp = StunCodec.encode(StunMessage.bindingRequest(tx, new Fingerprint(0)));
        fp[fp.length - 1] ^= 1;
        drop(fp, DropReason.BAD_FINGERPRINT);
        drop(StunCodec.encode(new StunMessage(StunClass.REQUEST, 0x003, tx, List.of())), DropReason.NOT_BINDING_REQUEST);
        drop(StunCodec.encode(new StunMessage(StunClass.SUCCESS_RESPONSE, 1, tx, List.of())), DropReason.UNEXPECTED_RESPONSE);
        drop(StunCodec.encode(new StunMessage(StunClass.INDICATION, 1, tx, List.of())), DropReason.INDICATION);
        assertThat(server.datagrams()).isEqualTo(7);
        assertThat(server.successes()).isZero();
        assertThat(server.dropCounts()).hasSize(7).containsValues(1L);
    }

    @Test
    void tooSmallOutputIsADropNotAnException() {
        ByteBuffer tiny = ByteBuffer.allocate(30);
        StunServer.Result r = server.handle(CLIENT, ByteBuffer.wrap(StunCodec.encode(StunMessage.bindingRequest(TransactionId.random(rng)))), tiny);
        assertThat(r).isEqualTo(new StunServer.Result.Drop(DropReason.OUTPUT_TOO_SMALL));
        assertThat(tiny.position()).isZero();
    }

    @Test
    void rateLimitPerSourceWithVirtualTime() {
        StunServer limited = new StunServer(null, null, new StunServer.RateLimit(10, 3, 100));
        byte[] req = StunCodec.encode(StunMessage.bindingRequest(TransactionId.random(rng)));
        var other = new InetSocketAddress(addr("198.18.7.7"), 1);
        long t = 1_000_000_000L;
        int answered = 0;
        for (int i = 0; i < 10; i++) {
            answered += limited.handle(CLIENT, LOCAL, ByteBuffer.wrap(req), out.clear(), t).reply() ? 1 : 0;
        }
        assertThat(answered).isEqualTo(3); // the burst
        assertThat(limited.drops(DropReason.RATE_LIMITED)).isEqualTo(7);
        assertThat(limited.handle(other, LOCAL, ByteBuffer.wrap(req), out.clear(), t).reply()).isTrue(); // its own bucket
        t += 100_000_000L; // 100 ms refills one token at 10/s
        assertThat(limited.handle(CLIENT, LOCAL, ByteBuffer.wrap(req), out.clear(), t).reply()).isTrue();
        assertThat(limited.handle(CLIENT, LOCAL, ByteBuffer.wrap(req), out.clear(), t).reply()).isFalse();
        // the overloads without time do not limit
        assertThat(limited.handle(CLIENT, ByteBuffer.wrap(req), out.clear()).reply()).isTrue();
    }

    private void drop(byte[] datagram, DropReason reason) {
        out.clear();
        StunServer.Result r = server.handle(CLIENT, ByteBuffer.wrap(datagram), out);
        assertThat(r).isEqualTo(new StunServer.Result.Drop(reason));
        assertThat(out.position()).isZero();
    }

    @Property(tries = 2000)
    void anyDatagramIsHandledWithoutThrowing(@ForAll @Size(max = 200) byte[] bytes) {
        ByteBuffer o = ByteBuffer.allocate(StunCodec.MAX_MESSAGE);
        new StunServer().handle(CLIENT, ByteBuffer.wrap(bytes), o);
    }
}
