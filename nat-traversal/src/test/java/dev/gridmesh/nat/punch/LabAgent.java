package dev.gridmesh.nat.punch;

import dev.gridmesh.crypto.NodePrivateKey;
import dev.gridmesh.crypto.NodePublicKey;
import dev.gridmesh.nat.classify.NatProbe;
import dev.gridmesh.nat.classify.NatReport;
import dev.gridmesh.nat.demux.DatagramDemux;
import dev.gridmesh.nat.disco.DiscoBox;
import dev.gridmesh.nat.disco.DiscoDecoded;
import dev.gridmesh.nat.stun.StunClient;
import dev.gridmesh.nat.stun.StunClientConfig;
import dev.gridmesh.testsupport.natlab.Datagram;
import dev.gridmesh.testsupport.natlab.UdpSocket;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * A test agent's NAT-traversal half on the in-memory network: one UDP socket demultiplexed into STUN (netcheck) and
 * disco (punching), as the real agent will do on its WireGuard socket.
 */
final class LabAgent {
    final String name;
    final UdpSocket socket;
    final NodePrivateKey key;
    final DiscoBox box;
    final SplittableRandom rng;
    NatProbe probe;
    PunchSession session;
    NodePublicKey peer;
    final List<PunchSession.Event> events = new ArrayList<>();
    /** Extra sockets for birthday punching: id i (1..n) is {@code extra.get(i - 1)}; closed ones are null. */
    final List<UdpSocket> extra = new ArrayList<>();
    long discoDrops;

    LabAgent(String name, UdpSocket socket, long seed) {
        this.name = name;
        this.socket = socket;
        this.rng = new SplittableRandom(seed);
        byte[] k = new byte[32];
        rng.nextBytes(k);
        this.key = NodePrivateKey.fromBytes(k);
        this.box = new DiscoBox(key, rng.split());
    }

    void netcheck(List<InetSocketAddress> stunServers, long now) {
        probe = new NatProbe(new StunClient(StunClientConfig.interactive(), rng.split()), stunServers,
                Set.of(socket.localAddress()));
        probe.start(now);
    }

    NatReport report() {
        return probe.report();
    }

    /** Local address first, then what STUN saw: what this agent sends its peer through the relay. */
    List<InetSocketAddress> candidates() {
        List<InetSocketAddress> c = new ArrayList<>();
        c.add(socket.localAddress());
        for (InetSocketAddress e : report().publicEndpoints()) {
            if (!c.contains(e)) {
                c.add(e);
            }
        }
        return c;
    }

    void punch(NodePublicKey peerKey, List<InetSocketAddress> peerCandidates, PunchConfig cfg, long now) {
        punch(peerKey, peerCandidates, cfg, null, now);
    }

    void punch(NodePublicKey peerKey, List<InetSocketAddress> peerCandidates, PunchConfig cfg, BirthdayPlan plan,
            long now) {
        peer = peerKey;
        session = new PunchSession(peerKey, box, rng.split(), cfg);
        session.start(peerCandidates, plan, now);
    }

    /** Binds {@code n} extra sockets on ephemeral ports; returns their ids. */
    int[] openExtra(int n) {
        int[] ids = new int[n];
        for (int i = 0; i < n; i++) {
            extra.add(socket.host().bind(0));
            ids[i] = extra.size();
        }
        return ids;
    }

    /** Closes the extra sockets the session did not hear the peer on (what the agent does when a session ends). */
    int closeUnheard() {
        int closed = 0;
        for (int i = 0; i < extra.size(); i++) {
            if (extra.get(i) != null && !session.socketsHeard().contains(i + 1)) {
                extra.get(i).close();
                extra.set(i, null);
                closed++;
            }
        }
        return closed;
    }

    UdpSocket socket(int id) {
        return id == 0 ? socket : extra.get(id - 1);
    }

    void receive(long now) {
        receive(0, socket, now);
        for (int i = 0; i < extra.size(); i++) {
            if (extra.get(i) != null) {
                receive(i + 1, extra.get(i), now);
            }
        }
    }

    private void receive(int id, UdpSocket socket, long now) {
        for (Datagram d; (d = socket.receive()) != null; ) {
            switch (DatagramDemux.classify(d.buffer())) {
                case STUN -> {
                    if (probe != null) {
                        probe.handleDatagram(d.source(), d.buffer(), now);
                    }
                }
                case DISCO -> {
                    if (box.open(d.buffer(), k -> k.equals(peer)) instanceof DiscoDecoded.Ok(var sender, var msg)
                            && session != null) {
                        session.handleDisco(id, d.source(), msg, now);
                    } else {
                        discoDrops++;
                    }
                }
                default -> discoDrops++;
            }
        }
    }

    void transmit() {
        if (probe != null) {
            for (StunClient.Transmit t; (t = probe.pollTransmit()) != null; ) {
                socket.send(t.destination(), t.datagram());
            }
        }
        if (session != null) {
            for (PunchSession.Transmit t; (t = session.pollTransmit()) != null; ) {
                UdpSocket s = socket(t.socket());
                if (s != null) {
                    s.send(t.destination(), t.datagram());
                }
            }
            for (PunchSession.Event e; (e = session.pollEvent()) != null; ) {
                events.add(e);
            }
        }
    }

    long nextTimeout() {
        long t = Long.MAX_VALUE;
        if (probe != null && !probe.isDone()) {
            t = Math.min(t, probe.pollTimeout());
        }
        if (session != null) {
            t = Math.min(t, session.pollTimeout());
        }
        return t;
    }

    void timeout(long now) {
        if (probe != null && !probe.isDone() && probe.pollTimeout() - now <= 0) {
            probe.handleTimeout(now);
        }
        if (session != null && session.pollTimeout() - now <= 0) {
            session.handleTimeout(now);
        }
    }
}
