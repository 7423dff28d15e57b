package dev.gridmesh.nat.stun;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gridmesh.nat.stun.StunClient.BindingEvent;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The client paired with the sans-I/O server under a virtual clock. */
class StunClientTest {
    static final InetSocketAddress SERVER = new InetSocketAddress("198.18.0.1", 3478);
    static final InetSocketAddress ME = new InetSocketAddress("198.18.9.9", 40000);
    static final long MS = 1_000_000L;

    final StunServer server = new StunServer("srv", null);

    @Test
    void rfcDefaultScheduleRetransmitsAt0_500_1500_3500_7500_15500_31500AndFailsAt39500() {
        StunClient c = new StunClient(StunClientConfig.rfcDefaults(), new SplittableRandom(1));
        c.startBinding(SERVER, 0);
        List<Long> sends = new ArrayList<>();
        long now = 0;
        while (true) {
            while (c.pollTransmit() != null) {
                sends.add(now / MS);
            }
            BindingEvent e = c.pollEvent();
            if (e != null) {
                assertThat(e).isInstanceOf(BindingEvent.Timeout.class);
                assertThat(((BindingEvent.Timeout) e).requests()).isEqualTo(7);
                break;
            }
            now = c.pollTimeout();
            c.handleTimeout(now);
        }
        assertThat(sends).containsExactly(0L, 500L, 1500L, 3500L, 7500L, 15500L, 31500L);
        assertThat(now / MS).isEqualTo(39500);
        assertThat(StunClientConfig.rfcDefaults().timeout()).isEqualTo(Duration.ofMillis(39500));
        assertThat(c.pollTimeout()).isEqualTo(StunClient.NO_TIMEOUT);
    }

    @Test
    void smallerBudget() {
        StunClientConfig cfg = new StunClientConfig(Duration.ofMillis(100), 2, 2, null, false);
        assertThat(cfg.timeout()).isEqualTo(Duration.ofMillis(300));
        StunClient c = new StunClient(cfg, new SplittableRandom(1));
        c.startBinding(SERVER, 5);
        assertThat(c.pollTimeout()).isEqualTo(5 + 100 * MS);
        c.handleTimeout(5 + 100 * MS);
        assertThat(c.pollTimeout()).isEqualTo(5 + 300 * MS);
        c.handleTimeout(5 + 299 * MS);
        assertThat(c.pollEvent()).isNull();
        c.handleTimeout(5 + 300 * MS);
        assertThat(c.pollEvent()).isInstanceOf(BindingEvent.Timeout.class);
    }

    @Test
    void bindingAgainstServerAfterOneLoss() {
        StunClient c = new StunClient(new StunClientConfig(Duration.ofMillis(500), 7, 16, "cli", true), new SplittableRandom(2));
        TransactionId tx = c.startBinding(SERVER, 0);
        assertThat(c.pollTransmit()).isNotNull(); // lost
        c.handleTimeout(500 * MS);
        StunClient.Transmit t = c.pollTransmit();
        assertThat(t.destination()).isEqualTo(SERVER);
        ByteBuffer out = ByteBuffer.allocate(1500);
        assertThat(server.handle(ME, ByteBuffer.wrap(t.datagram()), out).reply()).isTrue();
        out.flip();
        assertThat(c.handleDatagram(SERVER, out, 520 * MS)).isTrue();
        var e = (BindingEvent.Success) c.pollEvent();
        assertThat(e.transactionId()).isEqualTo(tx);
        assertThat(e.mapped()).isEqualTo(ME);
        assertThat(e.rttNanos()).isEqualTo(20 * MS);
        assertThat(e.requests()).isEqualTo(2);
        assertThat(c.inFlight()).isZero();
        // a duplicate answer afterwards is not ours any more
        out.rewind();
        assertThat(c.handleDatagram(SERVER, out, 530 * MS)).isFalse();
        assertThat(c.dropCounts()).containsEntry(StunClient.DropReason.UNKNOWN_TRANSACTION, 1L);
    }

    @Test
    void errorResponseFailsTheTransaction() {
        StunClient c = new StunClient(StunClientConfig.interactive(), new SplittableRandom(3));
        TransactionId tx = c.startBinding(SERVER, 0);
        c.pollTransmit();
        byte[] err = StunCodec.encode(new StunMessage(StunClass.ERROR_RESPONSE, 1, tx,
                List.of(new StunAttribute.ErrorCode(420, "Unknown Attribute"))));
        assertThat(c.handleDatagram(SERVER, ByteBuffer.wrap(err), 1)).isTrue();
        assertThat(c.pollEvent()).isEqualTo(new BindingEvent.Failure(tx, SERVER, 420, "Unknown Attribute"));
    }

    @Test
    void nonStunAndRequestsAreNotConsumed() {
        StunClient c = new StunClient(StunClientConfig.interactive(), new SplittableRandom(4));
        c.startBinding(SERVER, 0);
        assertThat(c.handleDatagram(SERVER, ByteBuffer.wrap(new byte[] {4, 0, 0, 0}), 1)).isFalse();
        byte[] req = StunCodec.encode(StunMessage.bindingRequest(TransactionId.random(new SplittableRandom(9))));
        assertThat(c.handleDatagram(SERVER, ByteBuffer.wrap(req), 1)).isFalse();
        assertThat(c.dropCounts()).containsOnlyKeys(StunClient.DropReason.NOT_STUN, StunClient.DropReason.NOT_A_RESPONSE);
        assertThat(c.inFlight()).isEqualTo(1);
    }

    @Test
    void concurrentTransactionsToTwoServers() {
        StunClient c = new StunClient(StunClientConfig.interactive(), new SplittableRandom(5));
        var other = new InetSocketAddress("198.18.0.1", 3479);
        c.startBinding(SERVER, 0);
        c.startBinding(other, 0);
        StunClient.Transmit a = c.pollTransmit();
        StunClient.Transmit b = c.pollTransmit();
        ByteBuffer out = ByteBuffer.allocate(600);
        server.handle(ME, ByteBuffer.wrap(b.datagram()), out);
        c.handleDatagram(other, out.flip(), 3 * MS);
        var e = (BindingEvent.Success) c.pollEvent();
        assertThat(e.server()).isEqualTo(other);
        assertThat(c.inFlight()).isEqualTo(1);
        assertThat(a.destination()).isEqualTo(SERVER);
    }
}
