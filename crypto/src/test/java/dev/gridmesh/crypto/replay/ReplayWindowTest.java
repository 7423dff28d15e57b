package dev.gridmesh.crypto.replay;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

class ReplayWindowTest {
    static final long LIMIT = Long.MAX_VALUE;

    /** Reference model: a set of seen counters and the greatest; accepts what the window must accept. */
    static boolean modelAccepts(Set<Long> seen, long[] greatest, long c) {
        if (seen.contains(c)) {
            return false;
        }
        if (greatest[0] >= 0 && c < greatest[0] && greatest[0] - c > ReplayWindow.WINDOW_SIZE) {
            return false;
        }
        return true;
    }

    @Property(tries = 300)
    void acceptsEachCounterAtMostOnceAndRejectsBelowTheWindow(@ForAll("counters") List<Long> counters) {
        ReplayWindow w = new ReplayWindow();
        Set<Long> accepted = new HashSet<>();
        long greatest = -1;
        for (long c : counters) {
            boolean ok = w.validate(c, LIMIT);
            if (accepted.contains(c)) {
                assertThat(ok).as("duplicate %d", c).isFalse();
            }
            if (greatest >= 0 && greatest - c > ReplayWindow.WINDOW_SIZE) {
                assertThat(ok).as("below window %d (greatest %d)", c, greatest).isFalse();
            }
            if (!accepted.contains(c) && (greatest < 0 || c > greatest || greatest - c <= ReplayWindow.WINDOW_SIZE
                    - 64)) {
                // fresh and comfortably inside the window: must be accepted (the ring's last block is shared)
                assertThat(ok).as("fresh %d (greatest %d)", c, greatest).isTrue();
            }
            if (ok) {
                accepted.add(c);
                greatest = Math.max(greatest, c);
            }
        }
    }

    @Provide
    Arbitrary<List<Long>> counters() {
        Arbitrary<Long> near = Arbitraries.longs().between(0, 3 * ReplayWindow.WINDOW_SIZE);
        Arbitrary<Long> far = Arbitraries.longs().between(0, 1L << 40);
        return Arbitraries.frequencyOf(net.jqwik.api.Tuple.of(9, near), net.jqwik.api.Tuple.of(1, far))
                .list().ofMaxSize(400);
    }

    @Property(tries = 100)
    void inOrderCountersAreAllAcceptedOnceAndReplaysRejected(@ForAll("starts") long start) {
        ReplayWindow w = new ReplayWindow();
        for (long c = start; c < start + 3000; c++) {
            assertThat(w.validate(c, LIMIT)).isTrue();
        }
        for (long c = start + 3000 - ReplayWindow.WINDOW_SIZE; c < start + 3000; c++) {
            if (c >= start) {
                assertThat(w.validate(c, LIMIT)).isFalse();
            }
        }
    }

    @Provide
    Arbitrary<Long> starts() {
        return Arbitraries.longs().between(0, Long.MAX_VALUE / 2);
    }

    @Test
    void windowHoldsAtLeast2048AndRejectsOlder() {
        ReplayWindow w = new ReplayWindow();
        assertThat(ReplayWindow.WINDOW_SIZE).isGreaterThanOrEqualTo(2048);
        assertThat(w.validate(10_000, LIMIT)).isTrue();
        assertThat(w.validate(10_000 - 2048, LIMIT)).isTrue();
        assertThat(w.validate(10_000 - ReplayWindow.WINDOW_SIZE, LIMIT)).isTrue();
        assertThat(w.validate(10_000 - ReplayWindow.WINDOW_SIZE - 1, LIMIT)).isFalse();
        assertThat(w.validate(10_000, LIMIT)).isFalse();
        assertThat(w.validate(0, LIMIT)).isFalse();
    }

    @Test
    void counterZeroIsAcceptedOnce() {
        ReplayWindow w = new ReplayWindow();
        assertThat(w.validate(0, LIMIT)).isTrue();
        assertThat(w.validate(0, LIMIT)).isFalse();
        w.reset();
        assertThat(w.validate(0, LIMIT)).isTrue();
    }

    @Test
    void limitIsExclusiveAndUnsigned() {
        ReplayWindow w = new ReplayWindow();
        assertThat(w.validate(99, 100)).isTrue();
        assertThat(w.validate(100, 100)).isFalse();
        assertThat(w.validate(-1L, -2L)).isFalse(); // 2^64-1 >= 2^64-2 unsigned
        assertThat(w.validate(-3L, -2L)).isTrue();
    }

    @Test
    void bigJumpClearsTheWholeRing() {
        ReplayWindow w = new ReplayWindow();
        for (int i = 0; i < 200; i++) {
            assertThat(w.validate(i, LIMIT)).isTrue();
        }
        long far = 1_000_000;
        assertThat(w.validate(far, LIMIT)).isTrue();
        for (long c = far - 64; c < far; c++) {
            assertThat(w.validate(c, LIMIT)).as("%d", c).isTrue();
        }
    }
}
