package dev.gridmesh.crypto.replay;

/**
 * Sliding replay window over 64-bit counters, a ring of 64-bit blocks as in RFC 6479 and wireguard-go's replay.go:
 * remembers the last {@value #WINDOW_SIZE} counters below the greatest seen; anything older is rejected. Counters are
 * compared unsigned. Not thread-safe: the receiving side of a session serialises access.
 */
public final class ReplayWindow {
    private static final int BLOCK_BIT_LOG = 6;
    private static final int BLOCK_BITS = 1 << BLOCK_BIT_LOG;
    private static final int RING_BLOCKS = 1 << 7;
    private static final int BLOCK_MASK = RING_BLOCKS - 1;
    private static final int BIT_MASK = BLOCK_BITS - 1;
    /** Counters this far below the greatest accepted one are still tracked individually. */
    public static final int WINDOW_SIZE = (RING_BLOCKS - 1) * BLOCK_BITS;

    private long last;
    private final long[] ring = new long[RING_BLOCKS];

    /** Forgets every counter. */
    public void reset() {
        last = 0;
        java.util.Arrays.fill(ring, 0);
    }

    /**
     * Accepts {@code counter} if it is below {@code limit} (unsigned), not older than the window and not seen
     * before; records it. Returns false otherwise.
     */
    public boolean validate(long counter, long limit) {
        if (Long.compareUnsigned(counter, limit) >= 0) {
            return false;
        }
        long indexBlock = counter >>> BLOCK_BIT_LOG;
        if (Long.compareUnsigned(counter, last) > 0) {
            long current = last >>> BLOCK_BIT_LOG;
            long diff = indexBlock - current;
            if (Long.compareUnsigned(diff, RING_BLOCKS) > 0) {
                diff = RING_BLOCKS;
            }
            for (long i = current + 1; i != current + diff + 1; i++) {
                ring[(int) (i & BLOCK_MASK)] = 0;
            }
            last = counter;
        } else if (Long.compareUnsigned(last - counter, WINDOW_SIZE) > 0) {
            return false;
        }
        int block = (int) (indexBlock & BLOCK_MASK);
        long bit = 1L << (counter & BIT_MASK);
        long old = ring[block];
        ring[block] = old | bit;
        return (old & bit) == 0;
    }
}
