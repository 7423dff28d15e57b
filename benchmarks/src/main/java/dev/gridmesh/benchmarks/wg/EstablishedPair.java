package dev.gridmesh.benchmarks.wg;

import dev.gridmesh.crypto.NodePrivateKey;
import dev.gridmesh.crypto.PresharedKey;
import dev.gridmesh.protocol.net.IpPrefix;
import dev.gridmesh.protocol.wg.Action;
import dev.gridmesh.protocol.wg.PacketResult;
import dev.gridmesh.protocol.wg.Transmit;
import dev.gridmesh.protocol.wg.WgEngine;
import dev.gridmesh.protocol.wg.WgPeerConfig;
import dev.gridmesh.protocol.wg.WgTimers;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.security.SecureRandom;
import java.util.List;

/**
 * Two {@link WgEngine}s, a (100.64.0.1) and b (100.64.0.2), with a confirmed session both ways, built only through
 * the engine's public API (docs/wireguard-engine.md). Time is frozen at {@link #NOW}, so no timer fires and the
 * session never ages during a benchmark. Not thread-safe: one pair per benchmark thread.
 */
final class EstablishedPair {
    static final long NOW = 1_000_000_000_000L;
    static final InetSocketAddress ADDR_A = addr("198.18.0.1");
    static final InetSocketAddress ADDR_B = addr("198.18.0.2");

    final WgEngine a;
    final WgEngine b;
    final PacketResult resultA = new PacketResult();
    final PacketResult resultB = new PacketResult();

    EstablishedPair() {
        SecureRandom rnd = new SecureRandom();
        NodePrivateKey ka = NodePrivateKey.generate(rnd);
        NodePrivateKey kb = NodePrivateKey.generate(rnd);
        a = new WgEngine(ka, WgTimers.standard(), rnd, () -> 1_780_000_000_000L);
        b = new WgEngine(kb, WgTimers.standard(), rnd, () -> 1_780_000_000_000L);
        a.upsertPeer(new WgPeerConfig(kb.publicKey(), PresharedKey.NONE, List.of(IpPrefix.parse("100.64.0.2/32")),
                ADDR_B, 0));
        b.upsertPeer(new WgPeerConfig(ka.publicKey(), PresharedKey.NONE, List.of(IpPrefix.parse("100.64.0.1/32")),
                ADDR_A, 0));
        // a's first packet is staged and starts the handshake; b's answer confirms the session for both.
        roundTrip(a, b, ipv4Packet(64, "100.64.0.1", "100.64.0.2"), ADDR_A);
        roundTrip(b, a, ipv4Packet(64, "100.64.0.2", "100.64.0.1"), ADDR_B);
        ByteBuffer dst = ByteBuffer.allocate(64 + WgEngine.MAX_OVERHEAD + 16);
        if (a.encapsulate(ipv4Packet(64, "100.64.0.1", "100.64.0.2"), dst, NOW, resultA) != Action.SEND) {
            throw new IllegalStateException("no session after the handshake: " + resultA.dropReason);
        }
    }

    /** Sends one packet from {@code from} and delivers every datagram both ways until quiet. */
    private void roundTrip(WgEngine from, WgEngine to, ByteBuffer ip, InetSocketAddress fromAddr) {
        ByteBuffer dst = ByteBuffer.allocate(2048);
        Action act = from.encapsulate(ip, dst, NOW, from == a ? resultA : resultB);
        if (act == Action.SEND) {
            deliver(from, to, dst); // the engine leaves dst flipped
        }
        for (int round = 0; round < 10; round++) {
            boolean any = false;
            for (WgEngine e : List.of(a, b)) {
                Transmit t;
                while ((t = e.pollTransmit()) != null) {
                    any = true;
                    deliver(e, e == a ? b : a, ByteBuffer.wrap(t.datagram()));
                }
            }
            if (!any) {
                return;
            }
        }
    }

    private void deliver(WgEngine from, WgEngine to, ByteBuffer datagram) {
        ByteBuffer out = ByteBuffer.allocate(2048);
        PacketResult r = to == a ? resultA : resultB;
        Action act = to.decapsulate(from == a ? ADDR_A : ADDR_B, datagram, out, NOW, r);
        if (act == Action.SEND) {
            deliver(to, from, out);
        }
    }

    /** An IPv4 packet of {@code size} bytes (header + zero payload) from {@code src} to {@code dst}. */
    static ByteBuffer ipv4Packet(int size, String src, String dst) {
        byte[] p = new byte[size];
        p[0] = 0x45;
        p[2] = (byte) (size >>> 8);
        p[3] = (byte) size;
        p[8] = 64;
        p[9] = 17;
        System.arraycopy(IpPrefix.parseAddress(src), 0, p, 12, 4);
        System.arraycopy(IpPrefix.parseAddress(dst), 0, p, 16, 4);
        return ByteBuffer.wrap(p);
    }

    static InetSocketAddress addr(String ip) {
        try {
            return new InetSocketAddress(InetAddress.getByAddress(IpPrefix.parseAddress(ip)), 51820);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException(e);
        }
    }
}
