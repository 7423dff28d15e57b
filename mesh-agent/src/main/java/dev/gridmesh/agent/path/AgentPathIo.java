package dev.gridmesh.agent.path;

import dev.gridmesh.agent.control.ControlClient;
import dev.gridmesh.agent.dataplane.DataPlane;
import dev.gridmesh.agent.outside.DatagramReceiver;
import dev.gridmesh.agent.outside.ExtraSocket;
import dev.gridmesh.agent.relay.RelayPath;
import dev.gridmesh.crypto.NodePublicKey;
import dev.gridmesh.protocol.relay.ControlMessage;
import dev.gridmesh.protocol.wg.WgPeerStatus;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link PathIo} on a running agent: UDP through the data plane's socket, relayed disco as PACKET frames, endpoints
 * as SetEndpoints, path switches as the data plane's per-peer sender (null = UDP to the engine's endpoint from the
 * WireGuard socket; an extra socket's sender for a birthday-punched path; the relay's sender when relayed).
 */
public final class AgentPathIo implements PathIo {
    private static final Logger log = LoggerFactory.getLogger(AgentPathIo.class);

    /** What AgentPathIo needs of the data plane (a seam for tests; {@link DataPlane} in production). */
    interface Plane {
        void sendOutside(InetSocketAddress to, byte[] datagram);

        void setPeerEndpoint(NodePublicKey peer, InetSocketAddress endpoint);

        /** {@code via} null: plain UDP from the main socket; else the peer's datagrams go from {@code via} to {@code to}. */
        void setPeerSender(NodePublicKey peer, Sender via, InetSocketAddress to);

        /** The relay's sender for the peer. */
        void setPeerRelayed(NodePublicKey peer);

        void sendRelayed(NodePublicKey peer, byte[] datagram);

        Sender openSocket(DatagramReceiver other) throws IOException;

        Map<NodePublicKey, Long> txBytes();
    }

    /** An extra socket as the plane sees it. */
    interface Sender extends AutoCloseable {
        void send(InetSocketAddress to, byte[] datagram);

        /** A WireGuard datagram (position..limit, copied, position unchanged). */
        default void send(InetSocketAddress to, ByteBuffer datagram) {
            byte[] b = new byte[datagram.remaining()];
            datagram.duplicate().get(b);
            send(to, b);
        }

        @Override
        void close();
    }

    /**
     * Extra sockets open at once, over all peers: four birthday sprays of 256. An endpoint-dependent agent with many
     * endpoint-independent peers punching at once would otherwise open 256 sockets per peer and could run the process
     * out of file descriptors (TUN, relay connection, local API); past the cap a spray gets fewer sockets or none
     * (that session punches without a birthday plan, a later one retries).
     */
    static final int MAX_EXTRA_SOCKETS = 1024;

    private final Plane plane;
    private final Supplier<ControlClient> control;
    private final int maxExtraSockets;
    private final Map<Integer, Sender> sockets = new ConcurrentHashMap<>();
    private final AtomicInteger nextId = new AtomicInteger(1);

    public AgentPathIo(DataPlane dataPlane, RelayPath relay, Supplier<ControlClient> control) {
        this(planeOf(dataPlane, relay), control, MAX_EXTRA_SOCKETS);
    }

    AgentPathIo(Plane plane, Supplier<ControlClient> control) {
        this(plane, control, MAX_EXTRA_SOCKETS);
    }

    AgentPathIo(Plane plane, Supplier<ControlClient> control, int maxExtraSockets) {
        this.plane = plane;
        this.control = control;
        this.maxExtraSockets = maxExtraSockets;
    }

    @Override
    public void sendUdp(InetSocketAddress to, byte[] datagram) {
        plane.sendOutside(to, datagram);
    }

    @Override
    public void sendUdp(int socket, InetSocketAddress to, byte[] datagram) {
        if (socket == 0) {
            plane.sendOutside(to, datagram);
            return;
        }
        Sender s = sockets.get(socket);
        if (s != null) {
            s.send(to, datagram);
        }
    }

    @Override
    public void sendRelayed(NodePublicKey peer, byte[] datagram) {
        plane.sendRelayed(peer, datagram);
    }

    @Override
    public boolean publishEndpoints(List<InetSocketAddress> endpoints) {
        ControlClient c = control.get();
        return c != null && c.sendControl(new ControlMessage.SetEndpoints(endpoints));
    }

    @Override
    public void useDirect(NodePublicKey peer, InetSocketAddress endpoint) {
        useDirect(peer, endpoint, 0);
    }

    @Override
    public void useDirect(NodePublicKey peer, InetSocketAddress endpoint, int socket) {
        Sender s = socket == 0 ? null : sockets.get(socket);
        if (socket != 0 && s == null) {
            log.debug("useDirect {} via socket {}: no such socket; staying as is", peer.shortString(), socket);
            return;
        }
        plane.setPeerEndpoint(peer, endpoint);
        plane.setPeerSender(peer, s, endpoint);
    }

    @Override
    public void useRelay(NodePublicKey peer) {
        plane.setPeerRelayed(peer);
    }

    @Override
    public int[] openSockets(int count, SocketReceiver receiver) {
        int allowed = Math.max(0, Math.min(count, maxExtraSockets - sockets.size()));
        if (allowed < count) {
            log.info("extra UDP sockets: {} open, cap {}: opening {} of {}", sockets.size(), maxExtraSockets, allowed,
                    count);
        }
        count = allowed;
        int[] ids = new int[count];
        int n = 0;
        for (; n < count; n++) {
            int id = nextId.getAndIncrement();
            try {
                Sender s = plane.openSocket((from, content) -> {
                    byte[] b = new byte[content.readableBytes()];
                    content.getBytes(content.readerIndex(), b);
                    receiver.onUdp(id, from, b);
                });
                sockets.put(id, s);
                ids[n] = id;
            } catch (IOException | RuntimeException e) {
                log.info("opened {} of {} extra UDP sockets: {}", n, count, e.toString());
                break;
            }
        }
        return n == count ? ids : Arrays.copyOf(ids, n);
    }

    @Override
    public void closeSocket(int socket) {
        Sender s = sockets.remove(socket);
        if (s != null) {
            s.close();
        }
    }

    /** Extra sockets open now. */
    int openSocketCount() {
        return sockets.size();
    }

    @Override
    public Map<NodePublicKey, Long> txBytes() {
        return plane.txBytes();
    }

    private static Plane planeOf(DataPlane dp, RelayPath relay) {
        return new Plane() {
            @Override
            public void sendOutside(InetSocketAddress to, byte[] datagram) {
                dp.sendOutside(to, datagram);
            }

            @Override
            public void setPeerEndpoint(NodePublicKey peer, InetSocketAddress endpoint) {
                dp.engine().setPeerEndpoint(peer, endpoint);
            }

            @Override
            public void setPeerSender(NodePublicKey peer, Sender via, InetSocketAddress to) {
                dp.setPeerSender(peer, via == null ? null : (p, endpoint, datagram) -> via.send(to, datagram));
            }

            @Override
            public void sendRelayed(NodePublicKey peer, byte[] datagram) {
                relay.send(peer.toBytes(), ByteBuffer.wrap(datagram));
            }

            @Override
            public void setPeerRelayed(NodePublicKey peer) {
                dp.setPeerSender(peer, relay.senderFor(peer));
            }

            @Override
            public Sender openSocket(DatagramReceiver other) throws IOException {
                ExtraSocket s = dp.openExtraSocket(other);
                return new Sender() {
                    @Override
                    public void send(InetSocketAddress to, byte[] datagram) {
                        s.send(to, datagram);
                    }

                    @Override
                    public void send(InetSocketAddress to, ByteBuffer datagram) {
                        s.send(to, datagram);
                    }

                    @Override
                    public void close() {
                        s.close();
                    }
                };
            }

            @Override
            public Map<NodePublicKey, Long> txBytes() {
                Map<NodePublicKey, Long> m = new HashMap<>();
                for (WgPeerStatus st : dp.engine().peers()) {
                    m.put(st.publicKey(), st.txBytes());
                }
                return m;
            }
        };
    }
}
