package dev.gridmesh.nat.portmap;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gridmesh.nat.portmap.PmpMessage.ErrorResponse;
import dev.gridmesh.nat.portmap.PmpMessage.ExternalAddressRequest;
import dev.gridmesh.nat.portmap.PmpMessage.ExternalAddressResponse;
import dev.gridmesh.nat.portmap.PmpMessage.MapRequest;
import dev.gridmesh.nat.portmap.PmpMessage.MapResponse;
import dev.gridmesh.nat.portmap.PmpMessage.Transport;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.util.HexFormat;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;

/** Golden vectors recorded from miniupnpd 2.3.1 (Debian 12) in the lab: requests byte-exact, responses decoded. */
class PmpCodecTest {
    private static final HexFormat HEX = HexFormat.of();

    private static ByteBuffer hex(String s) {
        return ByteBuffer.wrap(HEX.parseHex(s));
    }

    @Test
    void externalAddressRequestAndMiniupnpdResponse() throws Exception {
        assertThat(HEX.formatHex(PmpCodec.encode(new ExternalAddressRequest()))).isEqualTo("0000");
        Decoded<PmpMessage> d = PmpCodec.decodeResponse(hex("0080000000000026c6133201"));
        assertThat(d).isEqualTo(Decoded.ok(new ExternalAddressResponse(0x26,
                (java.net.Inet4Address) InetAddress.getByName("198.19.50.1"))));
    }

    @Test
    void mapRequestAndMiniupnpdResponse() {
        assertThat(HEX.formatHex(PmpCodec.encode(new MapRequest(Transport.UDP, 41000, 41000, 7200))))
                .isEqualTo("00010000a028a02800001c20");
        assertThat(PmpCodec.decodeResponse(hex("0081000000000026a028a02800001c20")))
                .isEqualTo(Decoded.ok(new MapResponse(Transport.UDP, 0x26, 41000, 41000, 7200)));
    }

    @Test
    void deleteRequestAndMiniupnpdResponse() {
        assertThat(HEX.formatHex(PmpCodec.encode(new MapRequest(Transport.UDP, 41000, 0, 0))))
                .isEqualTo("00010000a028000000000000");
        assertThat(PmpCodec.decodeResponse(hex("0081000000000026a028000000000000")))
                .isEqualTo(Decoded.ok(new MapResponse(Transport.UDP, 0x26, 41000, 0, 0)));
    }

    @Test
    void unsupportedOpcodeIsAnEightByteErrorResponse() {
        // miniupnpd's answer to opcode 9
        assertThat(PmpCodec.decodeResponse(hex("0089000500000026")))
                .isEqualTo(Decoded.ok(new ErrorResponse(9, PmpResultCode.UNSUPPORTED_OPCODE, 5, 0x26)));
    }

    @Test
    void encodeDecodeRoundTripOfResponses() throws Exception {
        var ext = new ExternalAddressResponse(12345, (java.net.Inet4Address) InetAddress.getByName("198.18.0.1"));
        assertThat(PmpCodec.decodeResponse(ByteBuffer.wrap(PmpCodec.encode(ext)))).isEqualTo(Decoded.ok(ext));
        var err = new ErrorResponse(1, PmpResultCode.NOT_AUTHORIZED, 2, 7);
        assertThat(PmpCodec.decodeResponse(ByteBuffer.wrap(PmpCodec.encode(err)))).isEqualTo(Decoded.ok(err));
    }

    @Test
    void typedErrors() {
        assertThat(reason("00")).isEqualTo(PortMapDecodeError.TOO_SHORT);
        assertThat(reason("0200000000000000")).isEqualTo(PortMapDecodeError.BAD_VERSION); // PCP, not NAT-PMP
        assertThat(reason("00010000a028a02800001c20")).isEqualTo(PortMapDecodeError.WRONG_DIRECTION);
        assertThat(reason("008000000000")).isEqualTo(PortMapDecodeError.TOO_SHORT);
        assertThat(reason("0080000000000026c61332")).isEqualTo(PortMapDecodeError.BAD_LENGTH);
        assertThat(reason("0081000000000026a028a028")).isEqualTo(PortMapDecodeError.BAD_LENGTH);
        assertThat(reason("0081000000000026a028a02800001c2000")).isEqualTo(PortMapDecodeError.BAD_LENGTH);
        assertThat(reason("0090000000000026")).isEqualTo(PortMapDecodeError.UNKNOWN_OPCODE);
    }

    @Test
    void decodingDoesNotMoveTheBufferPosition() {
        ByteBuffer b = hex("0080000000000026c6133201");
        PmpCodec.decodeResponse(b);
        assertThat(b.position()).isZero();
    }

    @Property(tries = 2000)
    void garbageNeverThrows(@ForAll @Size(max = 40) byte[] bytes) {
        assertThat(PmpCodec.decodeResponse(ByteBuffer.wrap(bytes))).isNotNull();
    }

    private static PortMapDecodeError reason(String hex) {
        Decoded<PmpMessage> d = PmpCodec.decodeResponse(hex(hex));
        assertThat(d).isInstanceOf(Decoded.Err.class);
        return ((Decoded.Err<PmpMessage>) d).reason();
    }
}
