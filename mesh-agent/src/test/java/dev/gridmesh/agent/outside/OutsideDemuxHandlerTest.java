package dev.gridmesh.agent.outside;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.socket.DatagramPacket;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class OutsideDemuxHandlerTest {
    private static final InetSocketAddress FROM = new InetSocketAddress("198.18.0.9", 4000);
    private static final InetSocketAddress LOCAL = new InetSocketAddress("198.18.0.1", 51820);

    static final class Recorder implements DatagramReceiver {
        final List<Integer> firstBytes = new ArrayList<>();
        int completes;

        @Override
        public void onDatagram(InetSocketAddress sender, ByteBuf content) {
            assertThat(sender).isEqualTo(FROM);
            firstBytes.add(content.readableBytes() == 0 ? -1 : (int) content.getUnsignedByte(content.readerIndex()));
        }

        @Override
        public void onReadComplete() {
            completes++;
        }
    }

    @Test
    void wireGuardTypesOneToFourGoToWireGuardEverythingElseToOther() {
        Recorder wg = new Recorder();
        Recorder other = new Recorder();
        EmbeddedChannel ch = new EmbeddedChannel(new OutsideDemuxHandler(wg, other));
        byte[][] inputs = {
            {1, 0, 0, 0, 9}, {2, 0, 0, 0}, {3, 0, 0, 0, 1, 2}, {4, 0, 0, 0, 7, 7, 7},
            {5, 0, 0, 0}, {1, 0, 0, 1}, {0, 1, 0, 8, 0x21, 0x12, (byte) 0xa4, 0x42}, {1, 0, 0}, {},
        };
        for (byte[] in : inputs) {
            ch.writeInbound(new DatagramPacket(Unpooled.wrappedBuffer(in), LOCAL, FROM));
        }
        assertThat(wg.firstBytes).containsExactly(1, 2, 3, 4);
        assertThat(other.firstBytes).containsExactly(5, 1, 0, 1, -1);
        assertThat(wg.completes).isPositive();
        assertThat(ch.finish()).isFalse(); // everything consumed and released
    }
}
