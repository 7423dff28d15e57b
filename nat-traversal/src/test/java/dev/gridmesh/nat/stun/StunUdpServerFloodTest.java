package dev.gridmesh.nat.stun;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gridmesh.nat.stun.StunAttribute.Fingerprint;
import dev.gridmesh.nat.stun.StunAttribute.Raw;
import dev.gridmesh.nat.stun.StunClient.BindingEvent;
import dev.gridmesh.nat.stun.StunServer.DropReason;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.time.Duration;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * A flood of malformed STUN at the Netty UDP server, interleaved with a well-behaved client: the client is answered
 * every time, and every bad datagram is counted under its reason. Bounded: 100 rounds of 100 bad datagrams, 60 s.
 */
class StunUdpServerFloodTest {
    static final int ROUNDS = 100;
    static final int BURST = 100;

    record Bad(DropReason reason, byte[] bytes) {}

    static List<Bad> badKinds(SplittableRandom rng) {
        TransactionId tx = TransactionId.random(rng);
        byte[] garbage = new byte[64];
        rng.nextBytes(garbage);
        garbage[0] = (byte) 0xFF;
        byte[] badLength = StunCodec.encode(StunMessage.bindingRequest(tx, new StunAttribute.Software("x")));
        ByteBuffer.wrap(badLength).putShort(2, (short) 400);
        byte[] badFamily = StunCodec.encode(StunMessage.bindingRequest(tx,
                new Raw(StunAttributeType.XOR_MAPPED_ADDRESS, new byte[] {0, 9, 0, 1, 1, 2, 3, 4})));
        byte[] truncated = StunCodec.encode(StunMessage.bindingRequest(tx, new Raw(0x8fff, new byte[8])));
        ByteBuffer.wrap(truncated).putShort(22, (short) 200); // attribute length past the end
        byte[] badFingerprint = StunCodec.encode(StunMessage.bindingRequest(tx, new Fingerprint(0)));
        badFingerprint[badFingerprint.length - 1] ^= 0x55;
        byte[] unknownRequired = StunCodec.encode(StunMessage.bindingRequest(tx, new Raw(0x7f01, new byte[5])));
        byte[] allocate = StunCodec.encode(new StunMessage(StunClass.REQUEST, 0x003, tx, List.of()));
        byte[] response = StunCodec.encode(new StunMessage(StunClass.SUCCESS_RESPONSE, 1, tx, List.of()));
        return List.of(new Bad(DropReason.NOT_STUN, garbage), new Bad(DropReason.BAD_LENGTH, badLength),
                new Bad(DropReason.MALFORMED_ATTRIBUTE, badFamily), new Bad(DropReason.MALFORMED_ATTRIBUTE, truncated),
                new Bad(DropReason.BAD_FINGERPRINT, badFingerprint),
                new Bad(DropReason.UNKNOWN_COMPREHENSION_REQUIRED, unknownRequired),
                new Bad(DropReason.NOT_BINDING_REQUEST, allocate), new Bad(DropReason.UNEXPECTED_RESPONSE, response));
    }

    @Test
    void floodOfMalformedStunIsCountedWhileAGoodClientIsServed() throws Exception {
        // no rate limit here, so that every bad datagram reaches the parser and is counted under its own reason
        StunServer engine = new StunServer("gridmesh-test", null, StunServer.RateLimit.NONE);
        InetAddress lo = InetAddress.getLoopbackAddress();
        SplittableRandom rng = new SplittableRandom(42);
        List<Bad> kinds = badKinds(rng);
        Map<DropReason, Long> sent = new EnumMap<>(DropReason.class);
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        int answered = 0;
        int retransmitted = 0;
        try (StunUdpServer udp = StunUdpServer.bind(engine, new InetSocketAddress(lo, 0));
                DatagramChannel flooder = DatagramChannel.open();
                DatagramChannel good = DatagramChannel.open();
                Selector sel = Selector.open()) {
            InetSocketAddress target = udp.localAddresses().getFirst();
            flooder.bind(new InetSocketAddress(lo, 0));
            good.bind(new InetSocketAddress(lo, 0)).configureBlocking(false).register(sel, SelectionKey.OP_READ);
            StunClient client = new StunClient(new StunClientConfig(Duration.ofMillis(200), 7, 4, null, true), rng);
            for (int round = 0; round < ROUNDS && System.nanoTime() - deadline < 0; round++) {
                for (int i = 0; i < BURST; i++) {
                    Bad b = kinds.get((round * BURST + i) % kinds.size());
                    flooder.send(ByteBuffer.wrap(b.bytes()), target);
                    sent.merge(b.reason(), 1L, Long::sum);
                }
                BindingEvent e = StunRealPeerTest.runOverRealUdp(client, good, sel, target, Duration.ofSeconds(10));
                assertThat(e).as("round %d", round).isInstanceOf(BindingEvent.Success.class);
                assertThat(((BindingEvent.Success) e).mapped()).isEqualTo(good.getLocalAddress());
                answered++;
                retransmitted += ((BindingEvent.Success) e).requests() - 1;
            }
        }
        assertThat(answered).isEqualTo(ROUNDS);
        System.out.printf("flood: %d bad datagrams, good client answered %d/%d (%d retransmissions), counted %s%n",
                sent.values().stream().mapToLong(Long::longValue).sum(), answered, ROUNDS, retransmitted, engine.dropCounts());
        assertThat(engine.successes()).isGreaterThanOrEqualTo(ROUNDS);
        Map<DropReason, Long> counted = engine.dropCounts();
        long totalSent = sent.values().stream().mapToLong(Long::longValue).sum();
        long totalCounted = counted.values().stream().mapToLong(Long::longValue).sum();
        // UDP may lose a few datagrams even on loopback when the receive queue overflows; none may be miscounted.
        assertThat(counted.keySet()).isEqualTo(sent.keySet());
        sent.forEach((reason, n) -> assertThat(counted.get(reason)).as("%s", reason).isLessThanOrEqualTo(n));
        assertThat(totalCounted).as("counted %s of sent %s", counted, sent).isGreaterThanOrEqualTo(totalSent * 9 / 10);
    }

    @Test
    void rateLimitStopsOneFloodingSourceAndNotTheOthers() throws Exception {
        // the flooder is 127.0.0.2, the good client 127.0.0.1: the limit is per source address
        StunServer engine = new StunServer("gridmesh-test", null, new StunServer.RateLimit(5, 10, 1024));
        InetAddress lo = InetAddress.getLoopbackAddress();
        SplittableRandom rng = new SplittableRandom(43);
        byte[] good = StunCodec.encode(StunMessage.bindingRequest(TransactionId.random(rng)));
        try (StunUdpServer udp = StunUdpServer.bind(engine, new InetSocketAddress("127.0.0.1", 0));
                DatagramChannel flooder = DatagramChannel.open();
                DatagramChannel client = DatagramChannel.open();
                Selector sel = Selector.open()) {
            InetSocketAddress target = udp.localAddresses().getFirst();
            flooder.bind(new InetSocketAddress("127.0.0.2", 0));
            client.bind(new InetSocketAddress(lo, 0)).configureBlocking(false).register(sel, SelectionKey.OP_READ);
            for (int i = 0; i < 2000; i++) {
                flooder.send(ByteBuffer.wrap(good), target); // well-formed, but far too many
            }
            StunClient c = new StunClient(new StunClientConfig(Duration.ofMillis(200), 7, 4, null, true), rng);
            for (int i = 0; i < 5; i++) {
                BindingEvent e = StunRealPeerTest.runOverRealUdp(c, client, sel, target, Duration.ofSeconds(10));
                assertThat(e).isInstanceOf(BindingEvent.Success.class);
            }
        }
        System.out.printf("rate limit: successes %d, drops %s%n", engine.successes(), engine.dropCounts());
        assertThat(engine.drops(DropReason.RATE_LIMITED)).isGreaterThan(1000);
        // the flooder got at most its burst plus what refilled while the test ran, the client all 5
        assertThat(engine.successes()).isBetween(5L, 200L);
    }
}
