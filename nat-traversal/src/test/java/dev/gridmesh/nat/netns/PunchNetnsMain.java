package dev.gridmesh.nat.netns;

import dev.gridmesh.crypto.NodePrivateKey;
import dev.gridmesh.crypto.NodePublicKey;
import dev.gridmesh.nat.classify.NatProbe;
import dev.gridmesh.nat.classify.NatReport;
import dev.gridmesh.nat.demux.DatagramDemux;
import dev.gridmesh.nat.demux.DatagramKind;
import dev.gridmesh.nat.disco.DiscoBox;
import dev.gridmesh.nat.disco.DiscoDecoded;
import dev.gridmesh.nat.punch.PunchConfig;
import dev.gridmesh.nat.punch.PunchSession;
import dev.gridmesh.nat.stun.StunClient;
import dev.gridmesh.nat.stun.StunClientConfig;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchService;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * Child JVM for {@link PunchNetnsTest}: one agent's NAT traversal on one UDP socket, in a lab namespace.
 * {@code NAME PEER LOCAL_IP DIR STUN...}: netcheck, write {@code DIR/NAME.cand} (key + candidates; the test's stand-in
 * for the relay's call-me-maybe), wait for {@code DIR/PEER.cand}, punch, keep answering pings for 2 s, print RESULT.
 */
public final class PunchNetnsMain {
    private PunchNetnsMain() {}

    public static void main(String[] args) throws Exception {
        String name = args[0];
        String peerName = args[1];
        String localIp = args[2];
        Path dir = Path.of(args[3]);
        List<InetSocketAddress> stun = new ArrayList<>();
        for (int i = 4; i < args.length; i++) {
            int c = args[i].lastIndexOf(':');
            stun.add(new InetSocketAddress(args[i].substring(0, c), Integer.parseInt(args[i].substring(c + 1))));
        }
        SecureRandom rng = new SecureRandom();
        NodePrivateKey key = NodePrivateKey.generate(rng);
        DiscoBox box = new DiscoBox(key, rng);
        try (DatagramChannel ch = DatagramChannel.open(); Selector sel = Selector.open()) {
            ch.bind(new InetSocketAddress(localIp, 0)).configureBlocking(false).register(sel, SelectionKey.OP_READ);
            InetSocketAddress local = (InetSocketAddress) ch.getLocalAddress();
            ByteBuffer buf = ByteBuffer.allocate(2048);

            NatProbe probe = new NatProbe(new StunClient(StunClientConfig.interactive(), rng), stun, Set.of(local));
            probe.start(System.nanoTime());
            loop(ch, sel, buf, probe::isDone, 20, () -> {
                for (StunClient.Transmit t; (t = probe.pollTransmit()) != null; ) {
                    send(ch, t.destination(), t.datagram());
                }
            }, probe::pollTimeout, probe::handleTimeout, (from, b, now) -> probe.handleDatagram(from, b, now));
            NatReport report = probe.report();
            System.out.println("NETCHECK " + name + " udp=" + report.udp() + " mapping=" + report.mapping()
                    + " endpoints=" + report.publicEndpoints());

            List<String> lines = new ArrayList<>();
            lines.add(key.publicKey().toBase64());
            lines.add(local.getAddress().getHostAddress() + ":" + local.getPort());
            for (InetSocketAddress e : report.publicEndpoints()) {
                lines.add(e.getAddress().getHostAddress() + ":" + e.getPort());
            }
            Path tmp = dir.resolve(name + ".tmp");
            Files.write(tmp, lines);
            Files.move(tmp, dir.resolve(name + ".cand"), StandardCopyOption.ATOMIC_MOVE);
            List<String> peer = awaitFile(dir, peerName + ".cand", 30);
            NodePublicKey peerKey = NodePublicKey.fromBase64(peer.getFirst());
            List<InetSocketAddress> peerCandidates = new ArrayList<>();
            for (String s : peer.subList(1, peer.size())) {
                int c = s.lastIndexOf(':');
                peerCandidates.add(new InetSocketAddress(s.substring(0, c), Integer.parseInt(s.substring(c + 1))));
            }

            PunchSession session = new PunchSession(peerKey, box, rng, PunchConfig.defaults());
            long t0 = System.nanoTime();
            session.start(peerCandidates, t0);
            long[] lingerUntil = {Long.MAX_VALUE};
            Runnable flush = () -> {
                for (PunchSession.Transmit t; (t = session.pollTransmit()) != null; ) {
                    send(ch, t.destination(), t.datagram());
                }
            };
            Handler disco = (from, b, now) -> {
                if (DatagramDemux.classify(b) == DatagramKind.DISCO
                        && box.open(b, peerKey::equals) instanceof DiscoDecoded.Ok(var sender, var msg)) {
                    session.handleDisco(from, msg, now);
                }
            };
            loop(ch, sel, buf, () -> session.state() != PunchSession.State.PROBING, 20, flush, session::pollTimeout,
                    session::handleTimeout, disco);
            long lingerEnd = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
            loop(ch, sel, buf, () -> System.nanoTime() - lingerEnd >= 0, 3, flush, () -> lingerEnd, n -> { }, disco);
            StringBuilder out = new StringBuilder("RESULT ").append(name).append(' ')
                    .append(session.state() == PunchSession.State.DIRECT ? "DIRECT" : "RELAYED")
                    .append(" probes=").append(session.probesSent());
            for (PunchSession.Event e; (e = session.pollEvent()) != null; ) {
                if (e instanceof PunchSession.Event.PathValidated v) {
                    out.append(" path=").append(v.endpoint()).append(" rttMicros=").append(v.rttNanos() / 1000)
                            .append(" afterMillis=").append(v.elapsedNanos() / 1_000_000);
                }
            }
            System.out.println(out);
        }
    }

    interface Handler {
        void accept(InetSocketAddress from, ByteBuffer datagram, long now);
    }

    private static void send(DatagramChannel ch, InetSocketAddress to, byte[] datagram) {
        try {
            ch.send(ByteBuffer.wrap(datagram), to);
        } catch (java.io.IOException e) {
            // unreachable candidate (e.g. a LAN address of another site): like a drop on the wire
        }
    }

    private static void loop(DatagramChannel ch, Selector sel, ByteBuffer buf, java.util.function.BooleanSupplier done,
            int limitSeconds, Runnable flush, java.util.function.LongSupplier timeout, java.util.function.LongConsumer onTimeout,
            Handler handler) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(limitSeconds);
        while (System.nanoTime() - deadline < 0) {
            flush.run();
            if (done.getAsBoolean()) {
                return;
            }
            long waitMs = Math.max(1, Math.min(200, TimeUnit.NANOSECONDS.toMillis(timeout.getAsLong() - System.nanoTime())));
            sel.select(waitMs);
            sel.selectedKeys().clear();
            for (InetSocketAddress from; (from = (InetSocketAddress) ch.receive(buf.clear())) != null; ) {
                handler.accept(from, buf.flip(), System.nanoTime());
            }
            flush.run();
            if (timeout.getAsLong() - System.nanoTime() <= 0) {
                onTimeout.accept(System.nanoTime());
            }
        }
    }

    private static List<String> awaitFile(Path dir, String fileName, int seconds) throws Exception {
        Path f = dir.resolve(fileName);
        try (WatchService ws = dir.getFileSystem().newWatchService()) {
            dir.register(ws, StandardWatchEventKinds.ENTRY_CREATE);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
            while (!Files.exists(f)) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new IllegalStateException("peer never wrote " + f);
                }
                var key = ws.poll(Math.min(left, TimeUnit.MILLISECONDS.toNanos(200)), TimeUnit.NANOSECONDS);
                if (key != null) {
                    key.pollEvents();
                    key.reset();
                }
            }
        }
        return Files.readAllLines(f);
    }
}
