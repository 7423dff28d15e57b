package dev.gridmesh.agent.path;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gridmesh.agent.outside.DatagramReceiver;
import dev.gridmesh.crypto.NodePrivateKey;
import dev.gridmesh.crypto.NodePublicKey;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** AgentPathIo's socket bookkeeping and path switches against a recording data plane. */
class AgentPathIoTest {
    static final InetSocketAddress PEER_EP = new InetSocketAddress("198.18.0.2", 51820);
    final NodePublicKey peer = NodePrivateKey.generate().publicKey();

    static final class FakeSocket implements AgentPathIo.Sender {
        final DatagramReceiver receiver;
        final List<String> sent = new ArrayList<>();
        boolean closed;

        FakeSocket(DatagramReceiver receiver) {
            this.receiver = receiver;
        }

        @Override
        public void send(InetSocketAddress to, byte[] datagram) {
            sent.add(to + " " + new String(datagram));
        }

        @Override
        public void close() {
            closed = true;
        }
    }

    static final class FakePlane implements AgentPathIo.Plane {
        final List<String> log = new ArrayList<>();
        final List<FakeSocket> sockets = new ArrayList<>();
        final Map<NodePublicKey, AgentPathIo.Sender> senders = new HashMap<>();
        int bindLimit = Integer.MAX_VALUE;

        @Override
        public void sendOutside(InetSocketAddress to, byte[] datagram) {
            log.add("main " + to + " " + new String(datagram));
        }

        @Override
        public void setPeerEndpoint(NodePublicKey peer, InetSocketAddress endpoint) {
            log.add("endpoint " + endpoint);
        }

        @Override
        public void setPeerSender(NodePublicKey peer, AgentPathIo.Sender via, InetSocketAddress to) {
            if (via == null) {
                senders.remove(peer);
                log.add("sender udp");
            } else {
                senders.put(peer, via);
                log.add("sender extra " + sockets.indexOf(via) + " to " + to);
            }
        }

        @Override
        public void setPeerRelayed(NodePublicKey peer) {
            log.add("sender relay");
        }

        @Override
        public void sendRelayed(NodePublicKey peer, byte[] datagram) {
            log.add("relay " + new String(datagram));
        }

        @Override
        public AgentPathIo.Sender openSocket(DatagramReceiver other) throws IOException {
            if (sockets.size() >= bindLimit) {
                throw new IOException("Too many open files");
            }
            FakeSocket s = new FakeSocket(other);
            sockets.add(s);
            return s;
        }

        @Override
        public Map<NodePublicKey, Long> txBytes() {
            return Map.of();
        }
    }

    final FakePlane plane = new FakePlane();
    final AgentPathIo io = new AgentPathIo(plane, () -> null);

    @Test
    void socketZeroIsTheMainSocketAndExtraIdsRouteToTheirSocket() {
        int[] ids = io.openSockets(3, (s, f, d) -> { });
        assertThat(ids).hasSize(3).doesNotHaveDuplicates().doesNotContain(0);
        io.sendUdp(0, PEER_EP, "a".getBytes());
        io.sendUdp(PEER_EP, "b".getBytes());
        io.sendUdp(ids[1], PEER_EP, "c".getBytes());
        io.sendUdp(9999, PEER_EP, "lost".getBytes()); // unknown: dropped
        assertThat(plane.log).containsExactly("main " + PEER_EP + " a", "main " + PEER_EP + " b");
        assertThat(plane.sockets.get(1).sent).containsExactly(PEER_EP + " c");
        assertThat(plane.sockets.get(0).sent).isEmpty();
        assertThat(io.openSocketCount()).isEqualTo(3);
    }

    @Test
    void inboundDatagramsAreCopiedAndTaggedWithTheirSocket() {
        List<String> got = new ArrayList<>();
        int[] ids = io.openSockets(2, (s, f, d) -> got.add(s + " " + f + " " + new String(d)));
        ByteBuf b = Unpooled.wrappedBuffer("xxdisco".getBytes());
        b.readerIndex(2);
        plane.sockets.get(1).receiver.onDatagram(PEER_EP, b);
        b.setByte(2, 'D'); // the caller releases/reuses the buffer: the receiver must have copied
        assertThat(got).containsExactly(ids[1] + " " + PEER_EP + " disco");
    }

    @Test
    void bindFailureReturnsTheSocketsBoundSoFar() {
        plane.bindLimit = 2;
        int[] ids = io.openSockets(256, (s, f, d) -> { });
        assertThat(ids).hasSize(2);
        assertThat(io.openSocketCount()).isEqualTo(2);
    }

    @Test
    void extraSocketsAreCappedOverAllPeersAndFreedOnClose() {
        AgentPathIo capped = new AgentPathIo(plane, () -> null, 300);
        int[] first = capped.openSockets(256, (s, f, d) -> { });
        int[] second = capped.openSockets(256, (s, f, d) -> { });
        assertThat(first).hasSize(256);
        assertThat(second).hasSize(44); // 300 in all
        assertThat(capped.openSockets(256, (s, f, d) -> { })).isEmpty();
        assertThat(capped.openSocketCount()).isEqualTo(300);
        for (int id : first) {
            capped.closeSocket(id);
        }
        assertThat(capped.openSockets(256, (s, f, d) -> { })).hasSize(256);
        assertThat(AgentPathIo.MAX_EXTRA_SOCKETS).isEqualTo(1024);
    }

    @Test
    void directViaAnExtraSocketThenBackToTheRelayAndTheMainSocket() {
        int[] ids = io.openSockets(2, (s, f, d) -> { });
        io.useDirect(peer, PEER_EP, ids[1]);
        assertThat(plane.log).containsExactly("endpoint " + PEER_EP, "sender extra 1 to " + PEER_EP);
        // the data plane's WireGuard datagrams for the peer now go out of that socket
        plane.senders.get(peer).send(PEER_EP, ByteBuffer.wrap("wg".getBytes()));
        assertThat(plane.sockets.get(1).sent).containsExactly(PEER_EP + " wg");
        io.useRelay(peer);
        io.useDirect(peer, PEER_EP);
        assertThat(plane.log).endsWith("sender relay", "endpoint " + PEER_EP, "sender udp");
    }

    @Test
    void directViaAnUnknownSocketChangesNothing() {
        io.useDirect(peer, PEER_EP, 42);
        assertThat(plane.log).isEmpty();
    }

    @Test
    void closeIsIdempotentAndForgetsTheSocket() {
        int[] ids = io.openSockets(2, (s, f, d) -> { });
        io.closeSocket(ids[0]);
        io.closeSocket(ids[0]);
        io.closeSocket(0);
        assertThat(plane.sockets.get(0).closed).isTrue();
        assertThat(plane.sockets.get(1).closed).isFalse();
        assertThat(io.openSocketCount()).isEqualTo(1);
        io.sendUdp(ids[0], PEER_EP, "after close".getBytes());
        assertThat(plane.sockets.get(0).sent).isEmpty();
    }

    @Test
    void relayedDiscoGoesToThePlanesRelay() {
        io.sendRelayed(peer, "cmm".getBytes());
        assertThat(plane.log).containsExactly("relay cmm");
        assertThat(io.publishEndpoints(List.of(PEER_EP))).as("no control connection yet").isFalse();
    }
}
