package dev.gridmesh.nat.portmap;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gridmesh.nat.portmap.PcpMessage.AnnounceRequest;
import dev.gridmesh.nat.portmap.PcpMessage.AnnounceResponse;
import dev.gridmesh.nat.portmap.PcpMessage.MapRequest;
import dev.gridmesh.nat.portmap.PcpMessage.MapResponse;
import dev.gridmesh.nat.portmap.PcpMessage.Nonce;
import dev.gridmesh.nat.portmap.PcpMessage.OtherVersion;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.util.HexFormat;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;

/**
 * Golden vectors recorded from miniupnpd 2.3.1 (Debian 12) in the lab: client 198.18.50.2, external 198.19.50.1,
 * nonce 01..0c, epoch 0x2c.
 */
class PcpCodecTest {
    private static final HexFormat HEX = HexFormat.of();
    private static final Nonce NONCE = new Nonce(HEX.parseHex("0102030405060708090a0b0c"));
    private static final String MAP_REQUEST = "0201000000001c2000000000000000000000ffffc6123202"
            + "0102030405060708090a0b0c11000000a410a41000000000000000000000ffff00000000";
    private static final String MAP_RESPONSE = "0281000000001c200000002c000000000000000000000000"
            + "0102030405060708090a0b0c11000000a410a41000000000000000000000ffffc6133201";

    private static InetAddress ip(String s) throws Exception {
        return InetAddress.getByName(s);
    }

    private static ByteBuffer hex(String s) {
        return ByteBuffer.wrap(HEX.parseHex(s));
    }

    @Test
    void mapRequestIsByteExact() throws Exception {
        MapRequest r = new MapRequest(7200, ip("198.18.50.2"), NONCE, 17, 42000, 42000,
                PcpCodec.unspecifiedLike(ip("198.18.50.2")));
        assertThat(HEX.formatHex(PcpCodec.encode(r))).isEqualTo(MAP_REQUEST);
    }

    @Test
    void miniupnpdMapResponse() throws Exception {
        assertThat(PcpCodec.decodeResponse(hex(MAP_RESPONSE))).isEqualTo(Decoded.ok(new MapResponse(
                PcpResultCode.SUCCESS, 0, 7200, 0x2c, NONCE, 17, 42000, 42000, ip("198.19.50.1"))));
        MapResponse decoded = (MapResponse) ((Decoded.Ok<PcpMessage>) PcpCodec.decodeResponse(hex(MAP_RESPONSE)))
                .message();
        assertThat(decoded.assignedExternalAddress()).isInstanceOf(Inet4Address.class);
        assertThat(HEX.formatHex(PcpCodec.encode(decoded))).isEqualTo(MAP_RESPONSE);
    }

    @Test
    void deleteRequestAndResponse() throws Exception {
        MapRequest del = new MapRequest(0, ip("198.18.50.2"), NONCE, 17, 42000, 0,
                PcpCodec.unspecifiedLike(ip("198.18.50.2")));
        assertThat(HEX.formatHex(PcpCodec.encode(del))).isEqualTo("020100000000000000000000000000000000ffffc6123202"
                + "0102030405060708090a0b0c11000000a410000000000000000000000000ffff00000000");
        assertThat(PcpCodec.decodeResponse(hex("02810000000000000000002c000000000000000000000000"
                + "0102030405060708090a0b0c11000000a410000000000000000000000000ffffc6133201")))
                .isEqualTo(Decoded.ok(new MapResponse(PcpResultCode.SUCCESS, 0, 0, 0x2c, NONCE, 17, 42000, 0,
                        ip("198.19.50.1"))));
    }

    @Test
    void announce() throws Exception {
        assertThat(HEX.formatHex(PcpCodec.encode(new AnnounceRequest(ip("198.18.50.2")))))
                .isEqualTo("020000000000000000000000000000000000ffffc6123202");
        assertThat(PcpCodec.decodeResponse(hex("02800000000000000000002c000000000000000000000000")))
                .isEqualTo(Decoded.ok(new AnnounceResponse(PcpResultCode.SUCCESS, 0, 0, 0x2c)));
    }

    @Test
    void miniupnpdErrorAnswers() throws Exception {
        // client address in the request was not the packet's source
        assertThat(PcpCodec.decodeResponse(hex("0281000c000000000000002c000000000000000000000000"
                + "0102030405060708090a0b0c11000000a410a41000000000000000000000ffff00000000")))
                .isEqualTo(Decoded.ok(new MapResponse(PcpResultCode.ADDRESS_MISMATCH, 12, 0, 0x2c, NONCE, 17, 42000,
                        42000, ip("0.0.0.0"))));
        // version 3 request: answered as version 2, UNSUPP_VERSION
        Decoded<PcpMessage> v3 = PcpCodec.decodeResponse(hex("02810001000000000000002c000000000000000000000000"
                + "0102030405060708090a0b0c110000000000000000000000000000000000ffff00000000"));
        assertThat(((MapResponse) ((Decoded.Ok<PcpMessage>) v3).message()).result())
                .isEqualTo(PcpResultCode.UNSUPP_VERSION);
    }

    @Test
    void natPmpServerAnswerIsOtherVersion() {
        // a NAT-PMP-only gateway answers a PCP request with version 0, opcode 128+1, result 1 (unsupported version)
        assertThat(PcpCodec.decodeResponse(hex("0081000100000026")))
                .isEqualTo(Decoded.ok(new OtherVersion(0, 1)));
    }

    @Test
    void optionsAreSkippedButFramingChecked() {
        String withOption = MAP_RESPONSE + "01000004c6133201"; // THIRD_PARTY-like option, 4 bytes of value
        assertThat(PcpCodec.decodeResponse(hex(withOption))).isInstanceOf(Decoded.Ok.class);
        assertThat(reason(MAP_RESPONSE + "01000008c6133201")).isEqualTo(PortMapDecodeError.BAD_OPTION);
    }

    @Test
    void typedErrors() {
        assertThat(reason("0281")).isEqualTo(PortMapDecodeError.TOO_SHORT);
        assertThat(reason("02810000000000000000")).isEqualTo(PortMapDecodeError.TOO_SHORT);
        assertThat(reason(MAP_REQUEST)).isEqualTo(PortMapDecodeError.WRONG_DIRECTION);
        assertThat(reason("0001000000000000")).isEqualTo(PortMapDecodeError.WRONG_DIRECTION);
        assertThat(reason(MAP_RESPONSE + "00")).isEqualTo(PortMapDecodeError.BAD_LENGTH);
        assertThat(reason(MAP_RESPONSE.substring(0, 96))).isEqualTo(PortMapDecodeError.TOO_SHORT);
        assertThat(reason("0282000000000000000000000000000000000000000000000000")).isEqualTo(
                PortMapDecodeError.BAD_LENGTH);
        assertThat(reason("028200000000000000000000000000000000000000000000")).isEqualTo(
                PortMapDecodeError.UNKNOWN_OPCODE);
        assertThat(reason("02" + "81" + "0".repeat(2204))).isEqualTo(PortMapDecodeError.BAD_LENGTH);
    }

    @Property(tries = 3000)
    void garbageNeverThrows(@ForAll @Size(max = 120) byte[] bytes) {
        assertThat(PcpCodec.decodeResponse(ByteBuffer.wrap(bytes))).isNotNull();
    }

    @Property(tries = 2000)
    void garbageAfterAValidHeaderNeverThrows(@ForAll @Size(min = 36, max = 120) byte[] tail) {
        byte[] b = new byte[24 + tail.length];
        b[0] = 2;
        b[1] = (byte) 0x81;
        System.arraycopy(tail, 0, b, 24, tail.length);
        assertThat(PcpCodec.decodeResponse(ByteBuffer.wrap(b))).isNotNull();
    }

    private static PortMapDecodeError reason(String hex) {
        Decoded<PcpMessage> d = PcpCodec.decodeResponse(hex(hex));
        assertThat(d).as("decoded %s", d).isInstanceOf(Decoded.Err.class);
        return ((Decoded.Err<PcpMessage>) d).reason();
    }
}
