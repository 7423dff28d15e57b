package dev.gridmesh.agent.control;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gridmesh.crypto.NodePrivateKey;
import dev.gridmesh.protocol.relay.ControlMessage;
import dev.gridmesh.protocol.relay.PeerInfo;
import java.net.InetAddress;
import java.time.Duration;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The two sans-I/O pieces of the control client: reconnect delays and peer-map assembly. */
class BackoffAndPeerMapTest {
    @Test
    void backoffDoublesWithJitterUpToThirtySecondsAndResets() {
        Backoff b = Backoff.standard(new SplittableRandom(7));
        long[] lo = {250, 500, 1000, 2000, 4000, 8000, 15000, 15000, 15000};
        long[] hi = {500, 1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000};
        for (int i = 0; i < lo.length; i++) {
            long ms = Duration.ofNanos(b.nextDelayNanos()).toMillis();
            assertThat(ms).as("attempt %d", i).isBetween(lo[i], hi[i]);
        }
        for (int i = 0; i < 100; i++) {
            assertThat(b.nextDelayNanos()).isLessThanOrEqualTo(Backoff.MAX.toNanos());
        }
        b.reset();
        assertThat(Duration.ofNanos(b.nextDelayNanos()).toMillis()).isBetween(250L, 500L);
    }

    static PeerInfo peer(String name, int last) throws Exception {
        return new PeerInfo(name, NodePrivateKey.generate().publicKey(),
                List.of(InetAddress.getByAddress(new byte[] {100, 64, 0, (byte) last})), List.of(), true);
    }

    @Test
    void peerMapPartsMakeOneFullMapThenDeltasApply() throws Exception {
        PeerMapTracker t = new PeerMapTracker();
        PeerInfo a = peer("a", 2);
        PeerInfo b = peer("b", 3);
        PeerInfo c = peer("c", 4);
        assertThat(t.apply(new ControlMessage.PeerAdded(c))).as("delta before any map").isNull();
        assertThat(t.apply(new ControlMessage.PeerMap(false, true, List.of(a)))).as("part without FIRST").isNull();
        assertThat(t.ignored()).isEqualTo(2);
        assertThat(t.apply(new ControlMessage.PeerMap(true, false, List.of(a)))).isNull();
        assertThat(t.apply(new ControlMessage.PeerMap(false, true, List.of(b))))
                .isEqualTo(new PeerMapTracker.Change.Full(List.of(a, b)));
        assertThat(t.apply(new ControlMessage.PeerAdded(c))).isEqualTo(new PeerMapTracker.Change.Upsert(c));
        assertThat(t.apply(new ControlMessage.PeerRemoved(a.nodeKey())))
                .isEqualTo(new PeerMapTracker.Change.Remove(a.nodeKey()));
        assertThat(t.peers()).containsExactly(b, c);
        // a reconnect: a new full map replaces everything
        assertThat(t.apply(new ControlMessage.PeerMap(true, true, List.of(c))))
                .isEqualTo(new PeerMapTracker.Change.Full(List.of(c)));
        assertThat(t.peers()).containsExactly(c);
    }
}
