package dev.gridmesh.agent.control;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gridmesh.protocol.relay.ControlMessage;
import dev.gridmesh.protocol.relay.PeerInfo;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The relay re-sends a full map on the same connection when the connection fell behind its change log
 * (docs/relay-protocol.md, "Peer-map fan-out"): the tracker must replace its map with it, never merge stale entries.
 */
class PeerMapTrackerTest {
    @Test
    void aMapSentAgainOnTheSameConnectionReplacesStaleEntriesEvenInParts() throws Exception {
        PeerMapTracker t = new PeerMapTracker();
        PeerInfo a = BackoffAndPeerMapTest.peer("a", 2);
        PeerInfo b = BackoffAndPeerMapTest.peer("b", 3);
        PeerInfo c = BackoffAndPeerMapTest.peer("c", 4);
        PeerInfo d = BackoffAndPeerMapTest.peer("d", 5);
        assertThat(t.apply(new ControlMessage.PeerMap(true, true, List.of(a, b)))).isNotNull();
        assertThat(t.apply(new ControlMessage.PeerAdded(c))).isEqualTo(new PeerMapTracker.Change.Upsert(c));
        // meanwhile (missed): b went offline and lost its endpoints, c was removed, d joined; a fresh map in two parts
        PeerInfo bOffline = new PeerInfo("b", b.nodeKey(), b.overlayIps(), List.of(), false);
        assertThat(t.apply(new ControlMessage.PeerMap(true, false, List.of(a)))).as("first part").isNull();
        assertThat(t.apply(new ControlMessage.PeerMap(false, true, List.of(bOffline, d))))
                .isEqualTo(new PeerMapTracker.Change.Full(List.of(a, bOffline, d)));
        assertThat(t.peers()).containsExactly(a, bOffline, d);
        // deltas apply on top of the new map
        PeerInfo aMoved = new PeerInfo("a", a.nodeKey(), a.overlayIps(),
                List.of(new InetSocketAddress(InetAddress.getByName("198.18.0.5"), 41641)), true);
        assertThat(t.apply(new ControlMessage.PeerChanged(aMoved))).isEqualTo(new PeerMapTracker.Change.Upsert(aMoved));
        assertThat(t.peers()).containsExactly(aMoved, bOffline, d);
        assertThat(t.ignored()).isZero();
    }
}
