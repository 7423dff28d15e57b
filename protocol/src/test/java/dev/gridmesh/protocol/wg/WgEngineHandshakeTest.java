package dev.gridmesh.protocol.wg;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class WgEngineHandshakeTest {
    @Test
    void firstPacketIsStagedThenDeliveredAfterTheHandshake() {
        EnginePair pair = new EnginePair(WgTimers.standard());
        byte[] pkt = pair.aToB(100);
        assertThat(pair.a.send(pkt)).isEqualTo(Action.NONE);
        assertThat(pair.count("a", WgMessage.TYPE_INITIATION)).isEqualTo(1);
        assertThat(pair.count("b", WgMessage.TYPE_RESPONSE)).isEqualTo(1);
        assertThat(pair.b.tun).hasSize(1);
        assertThat(pair.b.tun.get(0)).isEqualTo(pkt);
        // and back, on the now confirmed session
        byte[] back = pair.bToA(7);
        assertThat(pair.b.send(back)).isEqualTo(Action.SEND);
        assertThat(pair.a.tun).containsExactly(back);
        assertThat(pair.a.engine.dropCounts()).isEmpty();
        assertThat(pair.b.engine.dropCounts()).isEmpty();
    }
}
