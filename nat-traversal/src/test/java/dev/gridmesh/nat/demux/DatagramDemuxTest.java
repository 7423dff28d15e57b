package dev.gridmesh.nat.demux;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gridmesh.nat.stun.StunAttribute;
import dev.gridmesh.nat.stun.StunClass;
import dev.gridmesh.nat.stun.StunCodec;
import dev.gridmesh.nat.stun.StunMessage;
import dev.gridmesh.nat.stun.TransactionId;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.SplittableRandom;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;

class DatagramDemuxTest {

    static byte[] wg(int type, int length, SplittableRandom rng) {
        byte[] b = new byte[length];
        rng.nextBytes(b);
        b[0] = (byte) type;
        b[1] = b[2] = b[3] = 0;
        return b;
    }

    @Test
    void wireGuardMessagesOfEveryType() {
        var rng = new SplittableRandom(1);
        assertThat(DatagramDemux.classify(wg(1, 148, rng), 0, 148)).isEqualTo(DatagramKind.WIREGUARD);
        assertThat(DatagramDemux.classify(wg(2, 92, rng), 0, 92)).isEqualTo(DatagramKind.WIREGUARD);
        assertThat(DatagramDemux.classify(wg(3, 64, rng), 0, 64)).isEqualTo(DatagramKind.WIREGUARD);
        assertThat(DatagramDemux.classify(wg(4, 32, rng), 0, 32)).isEqualTo(DatagramKind.WIREGUARD);
        assertThat(DatagramDemux.classify(wg(4, 1452, rng), 0, 1452)).isEqualTo(DatagramKind.WIREGUARD);
    }

    @Test
    void notWireGuard() {
        var rng = new SplittableRandom(2);
        assertThat(DatagramDemux.classify(wg(5, 64, rng), 0, 64)).isEqualTo(DatagramKind.UNKNOWN);
        assertThat(DatagramDemux.classify(wg(0, 64, rng), 0, 64)).isEqualTo(DatagramKind.UNKNOWN);
        byte[] reserved = wg(4, 64, rng);
        reserved[2] = 1;
        assertThat(DatagramDemux.classify(reserved, 0, 64)).isEqualTo(DatagramKind.UNKNOWN);
        assertThat(DatagramDemux.classify(wg(4, 31, rng), 0, 31)).isEqualTo(DatagramKind.UNKNOWN);
        assertThat(DatagramDemux.classify(new byte[0], 0, 0)).isEqualTo(DatagramKind.UNKNOWN);
    }

    @Test
    void stunRequestsAndResponses() {
        var tx = TransactionId.random(new SplittableRandom(3));
        byte[] req = StunCodec.encode(StunMessage.bindingRequest(tx));
        assertThat(DatagramDemux.classify(req, 0, req.length)).isEqualTo(DatagramKind.STUN);
        // 0x0101: first byte 1 like a WireGuard initiation, but the second byte is not zero and the cookie is there
        byte[] resp = StunCodec.encode(new StunMessage(StunClass.SUCCESS_RESPONSE, 1, tx,
                List.of(new StunAttribute.XorMappedAddress(new InetSocketAddress("198.18.0.1", 9)))));
        assertThat(DatagramDemux.classify(resp, 0, resp.length)).isEqualTo(DatagramKind.STUN);
        byte[] noCookie = req.clone();
        noCookie[4] = 0;
        assertThat(DatagramDemux.classify(noCookie, 0, noCookie.length)).isEqualTo(DatagramKind.UNKNOWN);
    }

    @Test
    void wireGuardWithTheCookieByChanceStaysWireGuard() {
        byte[] b = wg(4, 48, new SplittableRandom(4));
        ByteBuffer.wrap(b).putInt(4, 0x2112A442); // receiver index equal to the STUN cookie
        assertThat(DatagramDemux.classify(b, 0, b.length)).isEqualTo(DatagramKind.WIREGUARD);
    }

    @Test
    void disco() {
        ByteBuffer b = ByteBuffer.allocate(40);
        DatagramDemux.putDiscoMagic(b);
        b.put(new byte[34]).flip();
        assertThat(DatagramDemux.classify(b)).isEqualTo(DatagramKind.DISCO);
        assertThat(b.position()).isZero();
        assertThat(DatagramDemux.classify(DatagramDemux.discoMagic(), 0, 5)).isEqualTo(DatagramKind.UNKNOWN);
    }

    @Test
    void honoursOffsetAndPosition() {
        var tx = TransactionId.random(new SplittableRandom(5));
        byte[] req = StunCodec.encode(StunMessage.bindingRequest(tx));
        byte[] framed = new byte[req.length + 7];
        System.arraycopy(req, 0, framed, 7, req.length);
        assertThat(DatagramDemux.classify(framed, 7, req.length)).isEqualTo(DatagramKind.STUN);
    }

    @Property(tries = 2000)
    void everyWireGuardShapedDatagramIsWireGuard(@ForAll @IntRange(min = 1, max = 4) int type,
            @ForAll @Size(min = 28, max = 200) byte[] body) {
        ByteBuffer b = ByteBuffer.allocate(4 + body.length).put((byte) type).put(new byte[3]).put(body).flip();
        assertThat(DatagramDemux.classify(b)).isEqualTo(DatagramKind.WIREGUARD);
    }

    @Property(tries = 2000)
    void neverThrows(@ForAll @Size(max = 64) byte[] any) {
        assertThat(DatagramDemux.classify(any, 0, any.length)).isNotNull();
    }
}
