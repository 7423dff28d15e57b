package dev.gridmesh.nat.stun;

import java.nio.ByteBuffer;
import java.util.HexFormat;
import java.util.random.RandomGenerator;

/**
 * A STUN transaction id: 96 bits, held as the first 64 bits ({@code high}) and the last 32 bits ({@code low}) so the
 * record compares by value and allocates no array.
 */
public record TransactionId(long high, int low) {
    public static final int LENGTH = 12;

    /** A fresh id; pass a {@link java.security.SecureRandom} in production (RFC 8489 section 5 asks for crypto-random ids). */
    public static TransactionId random(RandomGenerator rng) {
        return new TransactionId(rng.nextLong(), rng.nextInt());
    }

    /** Reads 12 bytes at the buffer's position (relative get; advances it). */
    static TransactionId read(ByteBuffer buf) {
        return new TransactionId(buf.getLong(), buf.getInt());
    }

    void write(ByteBuffer buf) {
        buf.putLong(high).putInt(low);
    }

    /** The 12 bytes, big-endian. */
    public byte[] toBytes() {
        return ByteBuffer.allocate(LENGTH).putLong(high).putInt(low).array();
    }

    public static TransactionId fromBytes(byte[] b) {
        if (b.length != LENGTH) {
            throw new IllegalArgumentException("transaction id: " + b.length + " bytes (expected: 12)");
        }
        return read(ByteBuffer.wrap(b));
    }

    @Override
    public String toString() {
        return "tx:" + HexFormat.of().formatHex(toBytes());
    }
}
