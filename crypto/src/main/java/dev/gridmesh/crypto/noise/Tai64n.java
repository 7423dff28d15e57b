package dev.gridmesh.crypto.noise;

import java.util.Arrays;

/**
 * TAI64N timestamps of handshake initiations (whitepaper §5.4.2): 8 bytes big-endian seconds + 2^62 + 10, 4 bytes
 * big-endian nanoseconds. Like wireguard-go, the nanoseconds are rounded down to 2^24 ns (~16 ms) so the timestamp
 * leaks less about the host clock.
 */
public final class Tai64n {
    public static final int LENGTH = 12;
    private static final long BASE = 0x400000000000000aL;
    private static final int WHITENER_MASK = 0x1000000 - 1;

    private Tai64n() {
    }

    public static byte[] fromEpochMillis(long epochMillis) {
        long secs = BASE + Math.floorDiv(epochMillis, 1000);
        int nanos = (int) Math.floorMod(epochMillis, 1000) * 1_000_000 & ~WHITENER_MASK;
        byte[] t = new byte[LENGTH];
        for (int i = 0; i < 8; i++) {
            t[i] = (byte) (secs >>> (56 - 8 * i));
        }
        for (int i = 0; i < 4; i++) {
            t[8 + i] = (byte) (nanos >>> (24 - 8 * i));
        }
        return t;
    }

    /** Whether {@code a} is strictly after {@code b} (null b: anything is after). */
    public static boolean after(byte[] a, byte[] b) {
        return b == null || Arrays.compareUnsigned(a, b) > 0;
    }
}
