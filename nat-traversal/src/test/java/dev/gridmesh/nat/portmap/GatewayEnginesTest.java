package dev.gridmesh.nat.portmap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gridmesh.nat.portmap.PcpMessage.AnnounceResponse;
import dev.gridmesh.nat.portmap.PcpMessage.MapRequest;
import dev.gridmesh.nat.portmap.PcpMessage.MapResponse;
import dev.gridmesh.nat.portmap.PcpMessage.OtherVersion;
import dev.gridmesh.nat.portmap.PmpMessage.ErrorResponse;
import dev.gridmesh.nat.portmap.PmpMessage.ExternalAddressResponse;
import dev.gridmesh.nat.portmap.PmpMessage.Transport;
import dev.gridmesh.testsupport.FakeClock;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** {@link PcpClient} and {@link PmpClient} under a virtual clock: matching, retransmission, epochs, bad input. */
class GatewayEnginesTest {
    private static final InetSocketAddress GW = new InetSocketAddress(ip("198.18.0.1"), 5351);
    private static final InetAddress ME = ip("198.18.0.2");
    private static final Inet4Address EXT = (Inet4Address) ip("198.19.0.1");
    private final FakeClock clock = new FakeClock();
    private final PortMapperOptions opts = PortMapperOptions.defaults();

    private static InetAddress ip(String s) {
        try {
            return InetAddress.getByName(s);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    private PcpClient pcp() {
        return new PcpClient(GW, ME, opts, new SplittableRandom(7));
    }

    private static MapRequest sentPcpMap(GatewayUdpEngine e) {
        byte[] d = e.pollTransmit();
        assertThat(d).hasSize(60);
        ByteBuffer b = ByteBuffer.wrap(d);
        byte[] nonce = new byte[12];
        b.get(24, nonce);
        return new MapRequest(b.getInt(4) & 0xFFFF_FFFFL, ME, new PcpMessage.Nonce(nonce), b.get(36) & 0xFF,
                b.getShort(40) & 0xFFFF, b.getShort(42) & 0xFFFF, PcpCodec.unspecifiedLike(ME));
    }

    private static ByteBuffer pcpAnswer(MapRequest r, PcpResultCode code, long lifetime, long epoch, int extPort) {
        return ByteBuffer.wrap(PcpCodec.encode(new MapResponse(code, code.code(), lifetime, epoch, r.nonce(),
                r.protocol(), r.internalPort(), extPort, code == PcpResultCode.SUCCESS ? EXT : ip("0.0.0.0"))));
    }

    @Test
    void pcpMapRenewDeleteKeepTheNonce() {
        PcpClient c = pcp();
        c.startMap(40000, 40000, 7200, clock.nanos());
        MapRequest first = sentPcpMap(c);
        assertThat(first.lifetimeSeconds()).isEqualTo(7200);
        assertThat(first.internalPort()).isEqualTo(40000);
        c.handleDatagram(GW, pcpAnswer(first, PcpResultCode.SUCCESS, 3600, 100, 40000), clock.nanos());
        assertThat(c.pollEvent()).isEqualTo(new GatewayEvent.Mapped(EXT, 40000, 3600));
        assertThat(c.busy()).isFalse();
        assertThat(c.pollTimeout()).isEqualTo(Long.MAX_VALUE);

        clock.advance(Duration.ofMinutes(30));
        c.startMap(40000, 40000, 7200, clock.nanos());
        MapRequest renew = sentPcpMap(c);
        assertThat(renew.nonce()).isEqualTo(first.nonce());
        c.handleDatagram(GW, pcpAnswer(renew, PcpResultCode.SUCCESS, 3600, 100 + 1800, 40000), clock.nanos());
        assertThat(c.pollEvent()).isInstanceOf(GatewayEvent.Mapped.class);
        assertThat(c.pollEvent()).as("epoch advanced like our clock: no state loss").isNull();

        c.startDelete(40000, clock.nanos());
        MapRequest del = sentPcpMap(c);
        assertThat(del.lifetimeSeconds()).isZero();
        assertThat(del.nonce()).isEqualTo(first.nonce());
        c.handleDatagram(GW, pcpAnswer(del, PcpResultCode.SUCCESS, 0, 1900, 0), clock.nanos());
        assertThat(c.pollEvent()).isEqualTo(new GatewayEvent.Deleted());
        assertThat(c.dropCounts()).isEmpty();
    }

    @Test
    void pcpRetransmitsWithDoublingThenTimesOut() {
        PcpClient c = pcp();
        long t0 = clock.nanos();
        c.startMap(40000, 40000, 7200, t0);
        byte[] first = c.pollTransmit();
        assertThat(c.pollTimeout() - t0).isEqualTo(Duration.ofMillis(250).toNanos());
        c.handleTimeout(clock.advanceMillis(100)); // early: nothing
        assertThat(c.pollTransmit()).isNull();
        c.handleTimeout(clock.advanceTo(c.pollTimeout()));
        assertThat(c.pollTransmit()).isEqualTo(first);
        assertThat(c.pollTimeout() - clock.nanos()).isEqualTo(Duration.ofMillis(500).toNanos());
        c.handleTimeout(clock.advanceTo(c.pollTimeout()));
        assertThat(c.pollTransmit()).isEqualTo(first);
        c.handleTimeout(clock.advanceTo(c.pollTimeout()));
        assertThat(c.pollTransmit()).isNull();
        assertThat(c.pollEvent()).isEqualTo(new GatewayEvent.TimedOut(3));
        assertThat(clock.since(t0)).isEqualTo(Duration.ofMillis(1750));
        assertThat(c.busy()).isFalse();
        c.startProbe(clock.nanos()); // usable again
        assertThat(c.pollTransmit()).hasSize(24);
    }

    @Test
    void pcpDropsWhatDoesNotMatchAndCountsIt() {
        PcpClient c = pcp();
        c.startMap(40000, 40000, 7200, clock.nanos());
        MapRequest r = sentPcpMap(c);
        c.handleDatagram(new InetSocketAddress(ip("198.18.0.9"), 5351), pcpAnswer(r, PcpResultCode.SUCCESS, 60, 1,
                40000), clock.nanos());
        MapRequest otherNonce = new MapRequest(7200, ME, new PcpMessage.Nonce(new byte[12]), 17, 40000, 40000, ME);
        c.handleDatagram(GW, pcpAnswer(otherNonce, PcpResultCode.SUCCESS, 60, 1, 40000), clock.nanos());
        c.handleDatagram(GW, ByteBuffer.wrap(new byte[] {2, (byte) 0x81, 0}), clock.nanos());
        c.handleDatagram(GW, ByteBuffer.wrap(new byte[] {9, 9, 9, 9, 9, 9, 9, 9}), clock.nanos()); // a request
        assertThat(c.pollEvent()).isNull();
        assertThat(c.busy()).isTrue();
        assertThat(c.dropCounts()).containsEntry("wrong_source", 1L).containsEntry("unmatched", 1L)
                .containsEntry("decode_too_short", 1L).containsEntry("decode_wrong_direction", 1L);
        c.handleDatagram(GW, pcpAnswer(r, PcpResultCode.SUCCESS, 60, 1, 40001), clock.nanos());
        assertThat(c.pollEvent()).isEqualTo(new GatewayEvent.Mapped(EXT, 40001, 60));
    }

    @Test
    void pcpErrorsAndNatPmpOnlyGateway() {
        PcpClient c = pcp();
        c.startMap(40000, 40000, 7200, clock.nanos());
        c.handleDatagram(GW, pcpAnswer(sentPcpMap(c), PcpResultCode.NO_RESOURCES, 30, 1, 0), clock.nanos());
        assertThat(c.pollEvent()).isEqualTo(new GatewayEvent.Refused("NO_RESOURCES", 8, true));
        c.startMap(40000, 40000, 7200, clock.nanos());
        c.handleDatagram(GW, pcpAnswer(sentPcpMap(c), PcpResultCode.ADDRESS_MISMATCH, 0, 1, 0), clock.nanos());
        assertThat(c.pollEvent()).isEqualTo(new GatewayEvent.Refused("ADDRESS_MISMATCH", 12, false));
        c.startProbe(clock.nanos());
        c.pollTransmit();
        c.handleDatagram(GW, ByteBuffer.wrap(PcpCodec.encode(new OtherVersion(0, 1))), clock.nanos());
        assertThat(c.pollEvent()).isInstanceOf(GatewayEvent.NotSupported.class);
    }

    @Test
    void pcpNoticesAGatewayRestartFromTheEpoch() {
        PcpClient c = pcp();
        c.startProbe(clock.nanos());
        c.pollTransmit();
        c.handleDatagram(GW, ByteBuffer.wrap(PcpCodec.encode(new AnnounceResponse(PcpResultCode.SUCCESS, 0, 0, 5000))),
                clock.nanos());
        assertThat(c.pollEvent()).isEqualTo(new GatewayEvent.Answered(5000, null));
        // an unsolicited ANNOUNCE consistent with our clock changes nothing
        clock.advance(Duration.ofSeconds(100));
        c.handleDatagram(GW, ByteBuffer.wrap(PcpCodec.encode(new AnnounceResponse(PcpResultCode.SUCCESS, 0, 0, 5100))),
                clock.nanos());
        assertThat(c.pollEvent()).isNull();
        assertThat(c.dropCounts()).containsEntry("announce_no_restart", 1L);
        // after a reboot the epoch starts again near 0
        clock.advance(Duration.ofSeconds(100));
        c.handleDatagram(GW, ByteBuffer.wrap(PcpCodec.encode(new AnnounceResponse(PcpResultCode.SUCCESS, 0, 0, 3))),
                clock.nanos());
        assertThat(c.pollEvent()).isEqualTo(new GatewayEvent.StateLost(3));
    }

    @Test
    void pcpRejectsBadArguments() {
        PcpClient c = pcp();
        assertThatThrownBy(() -> c.startMap(0, 0, 10, clock.nanos())).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("internalPort: 0");
        assertThatThrownBy(() -> c.startMap(1, 0, 0, clock.nanos())).hasMessageContaining("startDelete");
        c.startProbe(clock.nanos());
        assertThatThrownBy(() -> c.startProbe(clock.nanos())).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void natPmpLearnsTheAddressThenMaps() {
        PmpClient c = new PmpClient(GW, opts);
        c.startMap(40000, 40000, 7200, clock.nanos());
        assertThat(c.pollTransmit()).containsExactly(0, 0);
        c.handleDatagram(GW, ByteBuffer.wrap(PmpCodec.encode(new ExternalAddressResponse(10, EXT))), clock.nanos());
        assertThat(c.pollEvent()).isNull();
        assertThat(c.pollTransmit()).isEqualTo(PmpCodec.encode(new PmpMessage.MapRequest(Transport.UDP, 40000, 40000,
                7200)));
        c.handleDatagram(GW, ByteBuffer.wrap(PmpCodec.encode(new PmpMessage.MapResponse(Transport.UDP, 10, 40000,
                40002, 3600))), clock.nanos());
        assertThat(c.pollEvent()).isEqualTo(new GatewayEvent.Mapped(EXT, 40002, 3600));
        // the second map skips the address request
        clock.advance(Duration.ofSeconds(1800));
        c.startMap(40000, 40002, 7200, clock.nanos());
        assertThat(c.pollTransmit()).hasSize(12);
        // the gateway rebooted: epoch back near zero
        c.handleDatagram(GW, ByteBuffer.wrap(PmpCodec.encode(new PmpMessage.MapResponse(Transport.UDP, 2, 40000,
                40002, 3600))), clock.nanos());
        assertThat(c.pollEvent()).isEqualTo(new GatewayEvent.StateLost(2));
        assertThat(c.pollEvent()).isEqualTo(new GatewayEvent.Mapped(null, 40002, 3600));
    }

    @Test
    void natPmpRefusalsAndDeletes() {
        PmpClient c = new PmpClient(GW, opts);
        c.startProbe(clock.nanos());
        c.pollTransmit();
        c.handleDatagram(GW, ByteBuffer.wrap(PmpCodec.encode(new ErrorResponse(0, PmpResultCode.NETWORK_FAILURE, 3,
                1))), clock.nanos());
        assertThat(c.pollEvent()).isEqualTo(new GatewayEvent.Refused("NETWORK_FAILURE", 3, true));
        c.startDelete(40000, clock.nanos());
        assertThat(c.pollTransmit()).isEqualTo(PmpCodec.encode(new PmpMessage.MapRequest(Transport.UDP, 40000, 0, 0)));
        c.handleDatagram(GW, ByteBuffer.wrap(PmpCodec.encode(new ErrorResponse(0, PmpResultCode.NETWORK_FAILURE, 3,
                1))), clock.nanos());
        assertThat(c.dropCounts()).containsEntry("unmatched", 1L);
        c.handleDatagram(GW, ByteBuffer.wrap(PmpCodec.encode(new PmpMessage.MapResponse(Transport.UDP, 2, 40000, 0,
                0))), clock.nanos());
        assertThat(c.pollEvent()).isEqualTo(new GatewayEvent.Deleted());
        c.startProbe(clock.nanos());
        c.pollTransmit();
        c.handleDatagram(GW, ByteBuffer.wrap(PmpCodec.encode(new ErrorResponse(0, PmpResultCode.UNSUPPORTED_VERSION,
                1, 0))), clock.nanos());
        assertThat(c.pollEvent()).isInstanceOf(GatewayEvent.NotSupported.class);
    }

    @Test
    void epochTrackerFollowsRfc6887Section85() {
        EpochTracker t = new EpochTracker();
        long s = Duration.ofSeconds(1).toNanos();
        assertThat(t.update(1000, 0)).isFalse();
        assertThat(t.update(1100, 100 * s)).isFalse();
        assertThat(t.update(1100 + 100 + 4, 200 * s)).as("4 s fast in 100 s: within 1/16 + 2").isFalse();
        assertThat(t.update(1204 + 100 + 20, 300 * s)).as("20 s fast in 100 s: beyond 1/16 + 2").isTrue();
        assertThat(t.update(1424, 400 * s)).isFalse();
        assertThat(t.update(1423, 400 * s)).as("one second back is tolerated").isFalse();
        assertThat(t.update(10, 401 * s)).isTrue();
    }
}
