package dev.gridmesh.crypto.cookie;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gridmesh.crypto.NodePrivateKey;
import dev.gridmesh.crypto.NodePublicKey;
import dev.gridmesh.crypto.noise.Blake2s;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Random;
import org.junit.jupiter.api.Test;

class CookieTest {
    static final long MIN = 60_000_000_000L;
    final NodePrivateKey responder = NodePrivateKey.fromBytes(new byte[32]);
    final NodePublicKey responderPub = responder.publicKey();
    final byte[] source = {(byte) 198, 18, 0, 1, 0x20, (byte) 0xca};

    CookieChecker checker() {
        return new CookieChecker(responderPub, Duration.ofMinutes(2), new Random(1));
    }

    static byte[] initiation() {
        byte[] msg = new byte[148];
        msg[0] = 1;
        msg[4] = 7;
        new Random(5).nextBytes(msg);
        msg[0] = 1;
        msg[1] = msg[2] = msg[3] = 0;
        return msg;
    }

    @Test
    void mac1IsKeyedByTheReceiversPublicKey() {
        byte[] msg = initiation();
        CookieGenerator gen = new CookieGenerator(responderPub, Duration.ofMinutes(2));
        gen.addMacs(msg, 0, msg.length, 0);
        byte[] key = Blake2s.hash("mac1----".getBytes(StandardCharsets.US_ASCII), responderPub.toBytes());
        assertThat(Arrays.copyOfRange(msg, 116, 132)).isEqualTo(Blake2s.mac(key, msg, 0, 116));
        assertThat(Arrays.copyOfRange(msg, 132, 148)).isEqualTo(new byte[16]);
        assertThat(checker().checkMac1(msg, 0, msg.length)).isTrue();
        msg[20] ^= 1;
        assertThat(checker().checkMac1(msg, 0, msg.length)).isFalse();
        CookieChecker other = new CookieChecker(NodePrivateKey.fromBytes(new byte[] {
            1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29,
            30, 31, 32}).publicKey(), Duration.ofMinutes(2), new Random(1));
        msg[20] ^= 1;
        assertThat(other.checkMac1(msg, 0, msg.length)).isFalse();
    }

    @Test
    void cookieDance() {
        CookieChecker checker = checker();
        CookieGenerator gen = new CookieGenerator(responderPub, Duration.ofMinutes(2));
        byte[] msg = initiation();
        gen.addMacs(msg, 0, msg.length, 0);
        assertThat(checker.checkMac2(msg, 0, msg.length, source, 0)).isFalse();
        byte[] reply = new byte[64];
        checker.createReply(msg, 0, msg.length, 0x01020304, source, 0, reply, 0);
        assertThat(reply[0]).isEqualTo((byte) 3);
        assertThat(HexFormat.of().formatHex(reply, 4, 8)).isEqualTo("04030201");
        assertThat(gen.consumeReply(reply, 0, 1_000)).isTrue();
        assertThat(gen.hasFreshCookie(1_000)).isTrue();
        byte[] retry = initiation();
        retry[100] ^= 9;
        gen.addMacs(retry, 0, retry.length, 2_000);
        assertThat(checker.checkMac1(retry, 0, retry.length)).isTrue();
        assertThat(checker.checkMac2(retry, 0, retry.length, source, 2_000)).isTrue();
        // another source address does not get the benefit
        byte[] otherSource = source.clone();
        otherSource[3] = 2;
        assertThat(checker.checkMac2(retry, 0, retry.length, otherSource, 2_000)).isFalse();
        // the cookie goes stale after two minutes: mac2 becomes zeros
        gen.addMacs(retry, 0, retry.length, 2 * MIN + 2_000);
        assertThat(Arrays.copyOfRange(retry, 132, 148)).isEqualTo(new byte[16]);
        // and the responder's secret rotates: a reply made after rotation makes a different cookie
        assertThat(checker.checkMac2(retry, 0, retry.length, source, 3 * MIN)).isFalse();
    }

    @Test
    void replyBoundToTheLastMac1() {
        CookieChecker checker = checker();
        CookieGenerator gen = new CookieGenerator(responderPub, Duration.ofMinutes(2));
        byte[] reply = new byte[64];
        byte[] msg = initiation();
        checker.createReply(msg, 0, msg.length, 1, source, 0, reply, 0);
        assertThat(gen.consumeReply(reply, 0, 0)).as("nothing sent yet").isFalse();
        gen.addMacs(msg, 0, msg.length, 0);
        byte[] stale = new byte[64];
        checker.createReply(initiation(), 0, 148, 1, source, 0, stale, 0); // mac1 not of our message
        assertThat(gen.consumeReply(stale, 0, 0)).isFalse();
        checker.createReply(msg, 0, msg.length, 1, source, 0, reply, 0);
        reply[40] ^= 1;
        assertThat(gen.consumeReply(reply, 0, 0)).isFalse();
        reply[40] ^= 1;
        assertThat(gen.consumeReply(reply, 0, 0)).isTrue();
    }
}
