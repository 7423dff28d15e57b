package dev.gridmesh.agent.path;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gridmesh.crypto.NodePrivateKey;
import dev.gridmesh.crypto.NodePublicKey;
import dev.gridmesh.nat.stun.StunServer;
import dev.gridmesh.protocol.relay.PeerInfo;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;

/**
 * Two path managers behind simulated NATs: "easy" (one public endpoint for everything, a filter that only admits
 * endpoints it has sent to) and "hard" (a fresh random public port per socket and destination, admitting only that
 * destination). They learn each other's NAT kind from the call-me-maybe, the hard side opens extra sockets and sprays,
 * the easy side scatters, and both end on a direct path: the hard side's on an extra socket. Real threads and time,
 * like {@link PathManagerPairTest}; the odds of a miss per attempt are ~1.7 %, and a miss is retried.
 *
 * <pre>
 *   easy 198.18.0.1:41000 (all destinations)      hard 198.18.0.2:random per (socket, destination)
 *   STUN 198.18.5.1:3478, 198.18.6.1:3478 (both sides classify their NAT)
 * </pre>
 */
class PathManagerBirthdayTest {
    static final InetAddress EASY_IP = PathManagerPairTest.addr("198.18.0.1");
    static final InetAddress HARD_IP = PathManagerPairTest.addr("198.18.0.2");
    static final InetSocketAddress EASY_PUBLIC = new InetSocketAddress(EASY_IP, 41000);
    static final List<InetSocketAddress> STUN = List.of(new InetSocketAddress("198.18.5.1", 3478),
            new InetSocketAddress("198.18.6.1", 3478));

    /** The simulated internet: both NATs, the STUN servers and the relay. */
    static final class Net {
        final StunServer stun = new StunServer();
        final SplittableRandom rng = new SplittableRandom(7);
        final Set<InetSocketAddress> easyFilter = ConcurrentHashMap.newKeySet();
        /** hard side: (socket, destination) -> public port, and public port -> (socket, destination). */
        final Map<String, Integer> hardOut = new HashMap<>();
        final Map<Integer, Object[]> hardIn = new HashMap<>();
        volatile PathManager easy;
        volatile PathManager hard;

        synchronized int hardPort(int socket, InetSocketAddress dst) {
            return hardOut.computeIfAbsent(socket + " " + dst, k -> {
                int p;
                do {
                    p = rng.nextInt(1024, 65536);
                } while (hardIn.containsKey(p));
                hardIn.put(p, new Object[] {socket, dst});
                return p;
            });
        }

        synchronized Object[] hardInbound(int port) {
            return hardIn.get(port);
        }

        byte[] stunReply(InetSocketAddress seenAs, byte[] request) {
            ByteBuffer out = ByteBuffer.allocate(1500);
            return stun.handle(seenAs, ByteBuffer.wrap(request), out).reply() ? Arrays.copyOf(out.array(), out.position())
                    : null;
        }
    }

    static final class Io implements PathIo {
        final Net net;
        final boolean isHard;
        final Map<Integer, PathIo.SocketReceiver> open = new ConcurrentHashMap<>();
        final Map<NodePublicKey, String> direct = new ConcurrentHashMap<>();
        int nextId = 1;
        volatile int maxOpen;

        Io(Net net, boolean isHard) {
            this.net = net;
            this.isHard = isHard;
        }

        @Override
        public void sendUdp(InetSocketAddress to, byte[] datagram) {
            sendUdp(0, to, datagram);
        }

        @Override
        public void sendUdp(int socket, InetSocketAddress to, byte[] datagram) {
            if (socket != 0 && !open.containsKey(socket)) {
                return;
            }
            InetSocketAddress src = isHard ? new InetSocketAddress(HARD_IP, net.hardPort(socket, to)) : EASY_PUBLIC;
            if (!isHard) {
                net.easyFilter.add(to);
            }
            if (STUN.contains(to)) {
                byte[] r = net.stunReply(src, datagram);
                if (r != null) {
                    self().onUdp(socket, to, r);
                }
                return;
            }
            if (isHard && to.equals(EASY_PUBLIC) && net.easyFilter.contains(src)) {
                net.easy.onUdp(0, src, datagram.clone());
            } else if (!isHard && to.getAddress().equals(HARD_IP)) {
                Object[] m = net.hardInbound(to.getPort());
                if (m != null && m[1].equals(EASY_PUBLIC)) {
                    net.hard.onUdp((Integer) m[0], EASY_PUBLIC, datagram.clone());
                }
            }
        }

        PathManager self() {
            return isHard ? net.hard : net.easy;
        }

        @Override
        public void sendRelayed(NodePublicKey peer, byte[] datagram) {
            (isHard ? net.easy : net.hard).onRelayedDisco(datagram.clone());
        }

        @Override
        public boolean publishEndpoints(List<InetSocketAddress> endpoints) {
            return true;
        }

        @Override
        public void useDirect(NodePublicKey peer, InetSocketAddress endpoint) {
            useDirect(peer, endpoint, 0);
        }

        @Override
        public void useDirect(NodePublicKey peer, InetSocketAddress endpoint, int socket) {
            direct.put(peer, endpoint + " socket " + socket);
        }

        @Override
        public void useRelay(NodePublicKey peer) {
            direct.remove(peer);
        }

        @Override
        public synchronized int[] openSockets(int count, PathIo.SocketReceiver receiver) {
            int[] ids = new int[count];
            for (int i = 0; i < count; i++) {
                ids[i] = nextId++;
                open.put(ids[i], receiver);
            }
            maxOpen = Math.max(maxOpen, open.size());
            return ids;
        }

        @Override
        public void closeSocket(int socket) {
            open.remove(socket);
        }
    }

    static PathOptions options() {
        return new PathOptions(true, STUN, false, Duration.ofMillis(300), Duration.ofMillis(1500),
                Duration.ofMillis(300), Duration.ofSeconds(1), Duration.ofSeconds(60));
    }

    @Test
    void easyAndRandomPortHardNatMeetOnAnExtraSocket() throws InterruptedException {
        NodePrivateKey ke = NodePrivateKey.generate();
        NodePrivateKey kh = NodePrivateKey.generate();
        Net net = new Net();
        Io ioE = new Io(net, false);
        Io ioH = new Io(net, true);
        try (PathManager e = new PathManager(ke, 41000, options(), ioE);
                PathManager h = new PathManager(kh, 51820, options(), ioH)) {
            net.easy = e;
            net.hard = h;
            e.start();
            h.start();
            e.onPeer(new PeerInfo("hard", kh.publicKey(), List.of(PathManagerPairTest.addr("100.64.0.3")), List.of(), true));
            h.onPeer(new PeerInfo("easy", ke.publicKey(), List.of(PathManagerPairTest.addr("100.64.0.2")), List.of(), true));

            PathManagerPairTest.await("both direct", Duration.ofSeconds(30),
                    () -> "direct".equals(e.status(kh.publicKey()).path()) && "direct".equals(h.status(ke.publicKey()).path()));
            // the hard side's path leaves from an extra socket toward the easy side's public endpoint
            String hardPath = ioH.direct.get(ke.publicKey());
            assertThat(hardPath).startsWith(EASY_PUBLIC.toString()).doesNotEndWith("socket 0");
            int socket = Integer.parseInt(hardPath.substring(hardPath.lastIndexOf(' ') + 1));
            // the easy side's path is the hard NAT's mapping of that socket, from the WireGuard socket
            int mapped = net.hardPort(socket, EASY_PUBLIC);
            assertThat(ioE.direct.get(kh.publicKey())).isEqualTo(new InetSocketAddress(HARD_IP, mapped) + " socket 0");
            assertThat(ioH.maxOpen).isGreaterThanOrEqualTo(256);
            // once the session is over, the sockets the peer never reached are closed; the path's stays
            PathManagerPairTest.await("unused extra sockets closed", Duration.ofSeconds(15), () -> ioH.open.size() <= 4);
            assertThat(ioH.open).containsKey(socket);
            assertThat(ioE.open).isEmpty();
            // heartbeats go over the extra socket and keep the path (fallback would come after 1.5 s without pongs)
            long before = h.status(ke.publicKey()).probesSent();
            PathManagerPairTest.await("five more heartbeats", Duration.ofSeconds(10),
                    () -> h.status(ke.publicKey()).probesSent() >= before + 5);
            assertThat(h.status(ke.publicKey()).path()).isEqualTo("direct");
            assertThat(e.status(kh.publicKey()).path()).isEqualTo("direct");
            PingReply p = h.ping(ke.publicKey(), 1, 1000);
            assertThat(p.path()).isEqualTo("direct");
            assertThat(p.rttMillis()).as("a disco ping over the extra socket").isGreaterThanOrEqualTo(0);
            System.out.printf("birthday pair: hard sent %d pings, easy %d; hard path %s%n",
                    h.status(ke.publicKey()).probesSent(), e.status(kh.publicKey()).probesSent(), hardPath);
        }
        // closing the manager closes the remaining extra sockets
        assertThat(ioH.open).isEmpty();
    }
}
