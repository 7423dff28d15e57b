package dev.gridmesh.protocol.wg;

import dev.gridmesh.crypto.NodePrivateKey;
import dev.gridmesh.crypto.PresharedKey;
import dev.gridmesh.protocol.net.IpPrefix;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Predicate;

/**
 * Two WgEngines on a virtual clock and a lossless (unless told otherwise) in-memory wire, like wireguard-go's
 * noise_test and quinn's Pair. No sleeping: time only moves in {@link #advance}.
 */
final class EnginePair {
    static final long EPOCH_BASE_MILLIS = 1_780_000_000_000L;

    final class Side {
        final String name;
        final NodePrivateKey key;
        final WgEngine engine;
        InetSocketAddress address;
        final List<byte[]> tun = new ArrayList<>();
        final PacketResult result = new PacketResult();
        Side other;

        Side(String name, NodePrivateKey key, WgTimers timers, long seed, InetSocketAddress address) {
            this.name = name;
            this.key = key;
            this.engine = new WgEngine(key, timers, new Random(seed), () -> EPOCH_BASE_MILLIS + now / 1_000_000);
            this.address = address;
        }

        /** Encapsulates an IP packet and puts what comes out on the wire. */
        Action send(byte[] ipPacket) {
            ByteBuffer dst = ByteBuffer.allocate(ipPacket.length + 64);
            Action a = engine.encapsulate(ByteBuffer.wrap(ipPacket), dst, now, result);
            if (a == Action.SEND) {
                wire(this, copy(dst));
            }
            pump();
            return a;
        }
    }

    volatile long now = 1_000_000_000_000L; // arbitrary virtual nanoTime (volatile: the wall clock of threaded tests)
    final Side a;
    final Side b;
    /** Every datagram put on the wire, in order: [from side name, bytes]. */
    final List<Sent> log = new ArrayList<>();
    Predicate<Sent> lose = s -> false;
    /** Deliver with {@code from == null}, as packets that came over the relay. */
    boolean viaRelay;

    record Sent(String from, byte[] datagram, long at) {
        int type() {
            return datagram[0];
        }
    }

    EnginePair(WgTimers timers) {
        this(timers, PresharedKey.NONE, PresharedKey.NONE);
    }

    EnginePair(WgTimers timers, PresharedKey pskAtA, PresharedKey pskAtB) {
        a = new Side("a", key(1), timers, 11, addr("198.18.0.1", 51820));
        b = new Side("b", key(2), timers, 22, addr("198.18.0.2", 51820));
        a.other = b;
        b.other = a;
        a.engine.upsertPeer(new WgPeerConfig(b.key.publicKey(), pskAtA, List.of(IpPrefix.parse("100.64.0.2/32")),
                b.address, 0));
        b.engine.upsertPeer(new WgPeerConfig(a.key.publicKey(), pskAtB, List.of(IpPrefix.parse("100.64.0.1/32")),
                a.address, 0));
    }

    static NodePrivateKey key(int seed) {
        byte[] k = new byte[32];
        new Random(seed).nextBytes(k);
        return NodePrivateKey.fromBytes(k);
    }

    static InetSocketAddress addr(String ip, int port) {
        try {
            return new InetSocketAddress(InetAddress.getByAddress(IpPrefix.parseAddress(ip)), port);
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    /** Puts a datagram from {@code from} on the wire and delivers it (and whatever it triggers) now. */
    void wire(Side from, byte[] datagram) {
        Sent s = new Sent(from.name, datagram, now);
        log.add(s);
        if (lose.test(s)) {
            return;
        }
        Side to = from.other;
        ByteBuffer dst = ByteBuffer.allocate(datagram.length + 64);
        Action act = to.engine.decapsulate(viaRelay ? null : from.address, ByteBuffer.wrap(datagram), dst, now,
                to.result);
        if (act == Action.WRITE_TUN) {
            to.tun.add(copy(dst));
        } else if (act == Action.SEND) {
            wire(to, copy(dst));
        }
    }

    /** Delivers everything both engines queued, until quiet. */
    void pump() {
        boolean any = true;
        while (any) {
            any = false;
            for (Side s : List.of(a, b)) {
                Transmit t;
                while ((t = s.engine.pollTransmit()) != null) {
                    any = true;
                    wire(s, t.datagram());
                }
            }
        }
    }

    /** Moves the clock forward in small steps, ticking both engines and pumping. */
    void advance(Duration d) {
        long end = now + d.toNanos();
        while (now < end) {
            long step = Math.min(end - now, 20_000_000L);
            now += step;
            a.engine.tick(now);
            b.engine.tick(now);
            pump();
        }
    }

    /** A handshake, then one packet each way: both sides hold a confirmed session. */
    EnginePair establish() {
        a.send(aToB(20));
        b.send(bToA(20));
        if (a.tun.size() != 1 || b.tun.size() != 1) {
            throw new AssertionError("no session: a.tun=" + a.tun.size() + " b.tun=" + b.tun.size());
        }
        return this;
    }

    List<Sent> sent(String from, int type) {
        return log.stream().filter(s -> s.from.equals(from) && s.type() == type).toList();
    }

    long count(String from, int type) {
        return log.stream().filter(s -> s.from.equals(from) && s.type() == type).count();
    }

    static byte[] copy(ByteBuffer b) {
        byte[] out = new byte[b.remaining()];
        b.get(b.position(), out);
        return out;
    }

    /** A minimal IPv4/UDP-ish packet from src to dst with {@code payload} bytes after a 20-byte header. */
    static byte[] ipv4(String src, String dst, int payload) {
        byte[] p = new byte[20 + payload];
        p[0] = 0x45;
        p[2] = (byte) (p.length >>> 8);
        p[3] = (byte) p.length;
        p[8] = 64;
        p[9] = 17;
        System.arraycopy(IpPrefix.parseAddress(src), 0, p, 12, 4);
        System.arraycopy(IpPrefix.parseAddress(dst), 0, p, 16, 4);
        for (int i = 20; i < p.length; i++) {
            p[i] = (byte) i;
        }
        return p;
    }

    static byte[] ipv6(String src, String dst, int payload) {
        byte[] p = new byte[40 + payload];
        p[0] = 0x60;
        p[4] = (byte) (payload >>> 8);
        p[5] = (byte) payload;
        p[6] = 17;
        p[7] = 64;
        System.arraycopy(IpPrefix.parseAddress(src), 0, p, 8, 16);
        System.arraycopy(IpPrefix.parseAddress(dst), 0, p, 24, 16);
        return p;
    }

    byte[] aToB(int payload) {
        return ipv4("100.64.0.1", "100.64.0.2", payload);
    }

    byte[] bToA(int payload) {
        return ipv4("100.64.0.2", "100.64.0.1", payload);
    }
}
