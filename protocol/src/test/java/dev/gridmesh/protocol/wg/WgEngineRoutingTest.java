package dev.gridmesh.protocol.wg;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gridmesh.crypto.NodePublicKey;
import dev.gridmesh.crypto.PresharedKey;
import dev.gridmesh.protocol.net.IpPrefix;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class WgEngineRoutingTest {
    final PacketResult r = new PacketResult();

    @Test
    void outboundRoutingIsLongestPrefixMatchAcrossPeers() {
        WgEngine e = new WgEngine(EnginePair.key(1), WgTimers.standard(), new Random(1), () -> 0L);
        NodePublicKey wide = EnginePair.key(2).publicKey();
        NodePublicKey narrow = EnginePair.key(3).publicKey();
        NodePublicKey v6 = EnginePair.key(4).publicKey();
        e.upsertPeer(new WgPeerConfig(wide, PresharedKey.NONE, List.of(IpPrefix.parse("100.64.0.0/24")), null, 0));
        e.upsertPeer(new WgPeerConfig(narrow, PresharedKey.NONE, List.of(IpPrefix.parse("100.64.0.5/32")), null, 0));
        e.upsertPeer(new WgPeerConfig(v6, PresharedKey.NONE, List.of(IpPrefix.parse("fd7a::/48")), null, 0));
        assertThat(route(e, EnginePair.ipv4("100.64.0.1", "100.64.0.5", 1))).isEqualTo(narrow);
        assertThat(route(e, EnginePair.ipv4("100.64.0.1", "100.64.0.6", 1))).isEqualTo(wide);
        assertThat(route(e, EnginePair.ipv6("fd7a::1", "fd7a:0:0:1::9", 1))).isEqualTo(v6);
        assertThat(route(e, EnginePair.ipv4("100.64.0.1", "100.64.1.6", 1))).isNull();
        // the narrow peer is removed: its address falls back to the wide prefix
        e.removePeer(narrow);
        assertThat(route(e, EnginePair.ipv4("100.64.0.1", "100.64.0.5", 1))).isEqualTo(wide);
        // a prefix claimed by a later peer config moves to it
        e.upsertPeer(new WgPeerConfig(v6, PresharedKey.NONE,
                List.of(IpPrefix.parse("fd7a::/48"), IpPrefix.parse("100.64.0.0/24")), null, 0));
        assertThat(route(e, EnginePair.ipv4("100.64.0.1", "100.64.0.6", 1))).isEqualTo(v6);
        assertThat(e.peers()).hasSize(2);
    }

    private NodePublicKey route(WgEngine e, byte[] packet) {
        e.encapsulate(ByteBuffer.wrap(packet), ByteBuffer.allocate(200), 0, r);
        while (e.pollTransmit() != null) {
            // handshake initiations to endpoint-less peers: not the point here
        }
        return r.peer;
    }

    @Test
    void ipv6RoundTrip() {
        EnginePair pair = new EnginePair(WgTimers.standard());
        pair.a.engine.upsertPeer(new WgPeerConfig(pair.b.key.publicKey(), PresharedKey.NONE,
                List.of(IpPrefix.parse("fd7a::2/128")), null, 0));
        pair.b.engine.upsertPeer(new WgPeerConfig(pair.a.key.publicKey(), PresharedKey.NONE,
                List.of(IpPrefix.parse("fd7a::1/128")), null, 0));
        byte[] out = EnginePair.ipv6("fd7a::1", "fd7a::2", 100);
        pair.a.send(out);
        assertThat(pair.b.tun).containsExactly(out);
        byte[] back = EnginePair.ipv6("fd7a::2", "fd7a::1", 3);
        assertThat(pair.b.send(back)).isEqualTo(Action.SEND);
        assertThat(pair.a.tun).containsExactly(back);
        // an IPv4 source is not in b's allowed IPs for a any more
        ByteBuffer dst = ByteBuffer.allocate(100);
        assertThat(pair.a.engine.encapsulate(pair.b.key.publicKey(), ByteBuffer.wrap(pair.aToB(4)), dst, pair.now, r))
                .isEqualTo(Action.SEND);
        pair.wire(pair.a, EnginePair.copy(dst));
        assertThat(pair.b.engine.dropCount(DropReason.SOURCE_NOT_ALLOWED)).isEqualTo(1);
        assertThat(pair.b.tun).hasSize(1);
    }

    @Test
    void atMostOneInitiationPerRekeyTimeout() {
        EnginePair pair = new EnginePair(WgTimers.standard());
        pair.lose = s -> true;
        for (int i = 0; i < 50; i++) {
            pair.a.send(pair.aToB(i));
            pair.now += 90_000_000L; // 4.5 s in total, no ticks
        }
        assertThat(pair.count("a", WgMessage.TYPE_INITIATION)).isEqualTo(1);
        pair.now += 600_000_000L;
        pair.a.send(pair.aToB(1));
        assertThat(pair.count("a", WgMessage.TYPE_INITIATION)).isEqualTo(2);
    }

    @Test
    void stagedQueueIsBoundedAndCountsDrops() {
        EnginePair pair = new EnginePair(WgTimers.standard());
        pair.lose = s -> true;
        for (int i = 0; i < Peer.MAX_STAGED + 10; i++) {
            assertThat(pair.a.send(pair.aToB(i))).isEqualTo(Action.NONE);
        }
        assertThat(pair.a.engine.dropCount(DropReason.STAGED_QUEUE_FULL)).isEqualTo(10);
        pair.lose = s -> false;
        pair.advance(Duration.ofSeconds(6));
        assertThat(pair.b.tun).hasSize(Peer.MAX_STAGED);
        assertThat(pair.b.tun.get(0)).isEqualTo(pair.aToB(10)); // the oldest were dropped
    }
}
