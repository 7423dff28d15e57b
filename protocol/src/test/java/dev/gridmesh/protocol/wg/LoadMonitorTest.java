package dev.gridmesh.protocol.wg;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.UnknownHostException;
import org.junit.jupiter.api.Test;

class LoadMonitorTest {
    static final long SEC = 1_000_000_000L;

    @Test
    void underLoadAboveTheThresholdForOneSecond() {
        LoadMonitor m = new LoadMonitor();
        m.setThreshold(3);
        long t = 42 * SEC;
        assertThat(m.noteHandshake(t)).isFalse();
        assertThat(m.noteHandshake(t + 1)).isFalse();
        assertThat(m.noteHandshake(t + 2)).isFalse();
        assertThat(m.noteHandshake(t + 3)).isTrue();
        assertThat(m.isUnderLoad(t + SEC)).isTrue();
        assertThat(m.isUnderLoad(t + SEC + 3)).isFalse();
        // a new one-second window starts counting from zero
        assertThat(m.noteHandshake(t + 2 * SEC)).isFalse();
        m.setForced(true);
        assertThat(m.isUnderLoad(t + 10 * SEC)).isTrue();
    }

    @Test
    void perSourceTokenBucketTwentyPerSecondBurstFive() throws UnknownHostException {
        LoadMonitor m = new LoadMonitor();
        InetAddress a = InetAddress.getByAddress(new byte[] {(byte) 198, 18, 0, 1});
        InetAddress b = InetAddress.getByAddress(new byte[] {(byte) 198, 18, 0, 2});
        long t = 5 * SEC;
        int allowed = 0;
        for (int i = 0; i < 20; i++) {
            if (m.allow(a, t)) {
                allowed++;
            }
        }
        assertThat(allowed).isEqualTo(5);
        assertThat(m.allow(b, t)).as("other sources unaffected").isTrue();
        assertThat(m.allow(a, t + SEC / 20)).as("one token per 50 ms").isTrue();
        assertThat(m.allow(a, t + SEC / 20)).isFalse();
        m.expire(t + 3 * SEC);
        assertThat(m.allow(a, t + 3 * SEC)).isTrue();
    }
}
