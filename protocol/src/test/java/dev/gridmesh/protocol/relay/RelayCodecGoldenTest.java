package dev.gridmesh.protocol.relay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gridmesh.crypto.NodePublicKey;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Byte-exact vectors for the frame header and every control message (the agent side must produce the same bytes). */
class RelayCodecGoldenTest {
    private static final HexFormat HEX = HexFormat.of();

    private static byte[] fill(int v) {
        byte[] b = new byte[32];
        Arrays.fill(b, (byte) v);
        return b;
    }

    private static String rep(String hexByte) {
        return hexByte.repeat(32);
    }

    private static void golden(ControlMessage m, String hex) throws Exception {
        assertThat(HEX.formatHex(m.encode())).isEqualTo(hex);
        ControlMessage back = ControlMessage.parse(ByteBuffer.wrap(HEX.parseHex(hex)));
        assertThat(HEX.formatHex(back.encode())).isEqualTo(hex);
        assertThat(back.getClass()).isEqualTo(m.getClass());
    }

    @Test
    void controlFrameWithPing() throws Exception {
        byte[] f = Frames.control(new ControlMessage.Ping(0x0102030405060708L));
        assertThat(HEX.formatHex(f)).isEqualTo("01" + "01" + "0000" + "00000000" + "00000009" + "08" + "0102030405060708");
        ByteBuffer in = ByteBuffer.wrap(f);
        FrameHeader h = FrameHeader.decode(in, Frames.MAX_PAYLOAD);
        assertThat(h).isEqualTo(new FrameHeader(FrameType.CONTROL, 0, 0, 9));
        assertThat(ControlMessage.parse(in)).isEqualTo(new ControlMessage.Ping(0x0102030405060708L));
    }

    @Test
    void packetFrame() throws Exception {
        byte[] f = Frames.packet(NodePublicKey.fromBytes(fill(0x11)), HEX.parseHex("aadeadbeef"), 1, 4);
        assertThat(HEX.formatHex(f)).isEqualTo("01" + "02" + "0000" + "00000000" + "00000024" + rep("11") + "deadbeef");
        ByteBuffer in = ByteBuffer.wrap(f);
        FrameHeader h = FrameHeader.decode(in, Frames.MAX_PAYLOAD);
        assertThat(h.type()).isEqualTo(FrameType.PACKET);
        assertThat(Frames.packetKey(in)).isEqualTo(NodePublicKey.fromBytes(fill(0x11)));
    }

    @Test
    void streamFrameTypesAreReserved() throws Exception {
        FrameHeader h = FrameHeader.decode(ByteBuffer.wrap(HEX.parseHex("01" + "12" + "0000" + "00000007" + "00000004")), 100);
        assertThat(h).isEqualTo(new FrameHeader(FrameType.STREAM_WINDOW_UPDATE, 0, 7, 4));
        assertThat(FrameType.of(0x10)).isEqualTo(FrameType.STREAM_OPEN);
        assertThat(FrameType.of(0x11)).isEqualTo(FrameType.STREAM_DATA);
        assertThat(FrameType.of(0x13)).isEqualTo(FrameType.STREAM_HALF_CLOSE);
        assertThat(FrameType.of(0x14)).isEqualTo(FrameType.STREAM_RESET);
    }

    @Test
    void headerRefusals() {
        assertReason("02" + "01" + "0000" + "00000000" + "00000000", RelayDecodeException.Reason.BAD_VERSION);
        assertReason("01" + "7f" + "0000" + "00000000" + "00000000", RelayDecodeException.Reason.UNKNOWN_FRAME_TYPE);
        assertReason("01" + "01" + "0000" + "00000000" + "00010101", RelayDecodeException.Reason.FRAME_TOO_LARGE);
        assertReason("01" + "01" + "0000" + "00000000" + "ffffffff", RelayDecodeException.Reason.FRAME_TOO_LARGE);
        assertReason("01" + "01" + "0001" + "00000000" + "00000000", RelayDecodeException.Reason.BAD_FIELD);
        assertReason("01" + "01" + "0000" + "00000001" + "00000000", RelayDecodeException.Reason.BAD_FIELD);
        assertReason("01" + "11" + "0000" + "00000000" + "00000000", RelayDecodeException.Reason.BAD_FIELD);
        assertReason("01" + "01" + "0000", RelayDecodeException.Reason.TRUNCATED);
    }

    private static void assertReason(String hex, RelayDecodeException.Reason reason) {
        assertThatThrownBy(() -> FrameHeader.decode(ByteBuffer.wrap(HEX.parseHex(hex)), Frames.MAX_PAYLOAD))
                .isInstanceOfSatisfying(RelayDecodeException.class, e -> assertThat(e.reason()).isEqualTo(reason));
    }

    @Test
    void serverHello() throws Exception {
        golden(new ControlMessage.ServerHello(fill(0x01), fill(0x02)), "01" + rep("01") + rep("02"));
    }

    @Test
    void register() throws Exception {
        golden(new ControlMessage.Register(NodePublicKey.fromBytes(fill(0x33)), fill(0x44), "h", "t"),
                "02" + rep("33") + rep("44") + "01" + "68" + "01" + "74");
    }

    @Test
    void registerOk() throws Exception {
        golden(new ControlMessage.RegisterOk("w7", InetAddress.getByName("100.64.0.2"), 10),
                "03" + "02" + "7737" + "04" + "64400002" + "0a");
    }

    @Test
    void peerMapAddedChanged() throws Exception {
        PeerInfo p = new PeerInfo("a", NodePublicKey.fromBytes(fill(0x22)), List.of(InetAddress.getByName("100.64.0.3")),
                List.of(new InetSocketAddress(InetAddress.getByName("198.18.0.1"), 41641)), true);
        String peer = "01" + "61" + rep("22") + "01" + "01" + "04" + "64400003" + "01" + "04" + "c6120001" + "a2a9";
        golden(new ControlMessage.PeerMap(true, true, List.of(p)), "04" + "03" + "0001" + peer);
        golden(new ControlMessage.PeerMap(false, false, List.of()), "04" + "00" + "0000");
        golden(new ControlMessage.PeerAdded(p), "05" + peer);
        golden(new ControlMessage.PeerChanged(p), "07" + peer);
        golden(new ControlMessage.PeerRemoved(NodePublicKey.fromBytes(fill(0x22))), "06" + rep("22"));
        assertThat(HEX.formatHex(p.encode())).isEqualTo(peer);
    }

    @Test
    void peerMapFromPreEncodedPeersIsTheSameBytes() throws Exception {
        PeerInfo a = new PeerInfo("a", NodePublicKey.fromBytes(fill(0x22)), List.of(InetAddress.getByName("100.64.0.3")),
                List.of(), false);
        PeerInfo b = new PeerInfo("b", NodePublicKey.fromBytes(fill(0x33)), List.of(InetAddress.getByName("100.64.0.4")),
                List.of(new InetSocketAddress(InetAddress.getByName("198.18.0.1"), 41641)), true);
        for (int flags = 0; flags < 4; flags++) {
            boolean first = (flags & 1) != 0;
            boolean last = (flags & 2) != 0;
            String parts = HEX.formatHex(ControlMessage.PeerMap.partHeader(first, last, 2)) + HEX.formatHex(a.encode())
                    + HEX.formatHex(b.encode());
            golden(new ControlMessage.PeerMap(first, last, List.of(a, b)), parts);
        }
        assertThat(HEX.formatHex(ControlMessage.PeerMap.partHeader(true, true, 0))).isEqualTo("04" + "03" + "0000");
        assertThatThrownBy(() -> ControlMessage.PeerMap.partHeader(true, true, ControlMessage.PeerMap.MAX_PEERS_PER_MESSAGE + 1))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void pingPongErrorEndpoints() throws Exception {
        golden(new ControlMessage.Ping(1), "08" + "0000000000000001");
        golden(new ControlMessage.Pong(-1), "09" + "ffffffffffffffff");
        golden(new ControlMessage.Error(ErrorCode.TOKEN_EXPIRED, "exp"), "0a" + "0004" + "0003" + "657870");
        golden(new ControlMessage.SetEndpoints(List.of(new InetSocketAddress(InetAddress.getByName("198.18.0.1"), 41641))),
                "0b" + "01" + "04" + "c6120001" + "a2a9");
    }

    @Test
    void messageRefusals() {
        assertMsgReason("", RelayDecodeException.Reason.TRUNCATED);
        assertMsgReason("7e", RelayDecodeException.Reason.UNKNOWN_MESSAGE);
        assertMsgReason("08" + "00000000000000", RelayDecodeException.Reason.TRUNCATED);
        assertMsgReason("08" + "000000000000000000", RelayDecodeException.Reason.TRAILING_BYTES);
        assertMsgReason("03" + "02" + "7737" + "05" + "6440000200", RelayDecodeException.Reason.BAD_FIELD);
        assertMsgReason("03" + "02" + "7737" + "04" + "64400002" + "21", RelayDecodeException.Reason.BAD_FIELD);
        assertMsgReason("03" + "02" + "ff37" + "04" + "64400002" + "0a", RelayDecodeException.Reason.BAD_FIELD);
        assertMsgReason("04" + "04" + "0000", RelayDecodeException.Reason.BAD_FIELD);
        assertMsgReason("0b" + "11", RelayDecodeException.Reason.BAD_FIELD);
    }

    private static void assertMsgReason(String hex, RelayDecodeException.Reason reason) {
        assertThatThrownBy(() -> ControlMessage.parse(ByteBuffer.wrap(HEX.parseHex(hex))))
                .isInstanceOfSatisfying(RelayDecodeException.class, e -> assertThat(e.reason()).isEqualTo(reason));
    }

    @Test
    void peerMapSplitsIntoFramesBelowTheLimit() throws Exception {
        List<PeerInfo> many = new java.util.ArrayList<>();
        for (int i = 0; i < 250; i++) {
            byte[] k = fill(i);
            many.add(new PeerInfo("n".repeat(63), NodePublicKey.fromBytes(k), List.of(InetAddress.getByName("100.64.0.1")),
                    java.util.Collections.nCopies(16, new InetSocketAddress(InetAddress.getByName("2001:db8::1"), 1)), false));
        }
        List<ControlMessage.PeerMap> parts = ControlMessage.PeerMap.split(many);
        assertThat(parts).hasSize(3);
        assertThat(parts.get(0).first()).isTrue();
        assertThat(parts.get(2).last()).isTrue();
        assertThat(parts.get(1).first() || parts.get(1).last()).isFalse();
        for (ControlMessage.PeerMap p : parts) {
            assertThat(p.encode().length).isLessThanOrEqualTo(Frames.MAX_PAYLOAD);
        }
        assertThat(ControlMessage.PeerMap.split(List.of())).containsExactly(new ControlMessage.PeerMap(true, true, List.of()));
    }

    @Test
    void proofMacVector() {
        // HMAC-SHA256(01*32, "gridmesh-relay-register-v1" | 02*32 | 03*32 | 04*32 | 02 "w7" | 03 "tok"), by Python's hmac.
        byte[] mac = RegistrationProof.mac(fill(1), fill(2), fill(3), NodePublicKey.fromBytes(fill(4)), "w7", "tok");
        assertThat(HEX.formatHex(mac)).isEqualTo("3a7b1e13587a2032779831a84c950229254e353f9a1b64303248425a028a51e4");
    }
}
