package dev.gridmesh.nat.stun;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.socket.DatagramPacket;
import java.net.InetSocketAddress;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The Netty adapter through EmbeddedChannel: replies go to the sender, drops write nothing, no buffer leaks. */
class StunUdpHandlerTest {
    static final InetSocketAddress CLIENT = new InetSocketAddress("198.18.3.4", 40000);
    static final InetSocketAddress LOCAL = new InetSocketAddress("198.18.0.1", 3478);

    @Test
    void answersBindingAndDropsGarbage() {
        StunServer engine = new StunServer();
        EmbeddedChannel ch = new EmbeddedChannel(new StunUdpServer.StunUdpHandler(engine));
        TransactionId tx = TransactionId.random(new SplittableRandom(1));
        DatagramPacket req = new DatagramPacket(Unpooled.wrappedBuffer(StunCodec.encode(StunMessage.bindingRequest(tx))),
                LOCAL, CLIENT);
        ch.writeInbound(req);
        DatagramPacket reply = ch.readOutbound();
        assertThat(reply.recipient()).isEqualTo(CLIENT);
        StunDecoded d = StunCodec.decode(reply.content().nioBuffer());
        StunMessage m = ((StunDecoded.Ok) d).message();
        assertThat(m.transactionId()).isEqualTo(tx);
        assertThat(m.mappedAddress()).contains(CLIENT);
        assertThat(m.attribute(StunAttribute.ResponseOrigin.class).orElseThrow().address()).isEqualTo(LOCAL);
        assertThat(reply.release()).isTrue();
        assertThat(req.refCnt()).isZero();

        DatagramPacket junk = new DatagramPacket(Unpooled.wrappedBuffer(new byte[] {1, 2, 3}), LOCAL, CLIENT);
        ch.writeInbound(junk);
        Object none = ch.readOutbound();
        assertThat(none).isNull();
        assertThat(junk.refCnt()).isZero();
        assertThat(engine.drops(StunServer.DropReason.NOT_STUN)).isEqualTo(1);
        assertThat(ch.finish()).isFalse();
    }

    @Test
    void compositeBuffersAreHandledToo() {
        StunServer engine = new StunServer();
        EmbeddedChannel ch = new EmbeddedChannel(new StunUdpServer.StunUdpHandler(engine));
        byte[] req = StunCodec.encode(StunMessage.bindingRequest(TransactionId.random(new SplittableRandom(2))));
        var composite = Unpooled.wrappedBuffer(Unpooled.wrappedBuffer(req, 0, 7), Unpooled.wrappedBuffer(req, 7, req.length - 7));
        ch.writeInbound(new DatagramPacket(composite, LOCAL, CLIENT));
        DatagramPacket reply = ch.readOutbound();
        assertThat(reply).isNotNull();
        reply.release();
        assertThat(ch.finish()).isFalse();
    }
}
