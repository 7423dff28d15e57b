package dev.gridmesh.agent.tun;

import com.sun.jna.Native;
import com.sun.jna.Pointer;
import java.nio.ByteBuffer;

/**
 * A fixed set of direct buffers, one packet each, allocated once and reused for every read: the inside thread's
 * receive batch. After {@link TunDevice#read(PacketBatch)} the first {@link #count()} buffers hold one packet each
 * between position 0 and their limit. Not thread-safe: one batch per reading thread.
 */
public final class PacketBatch {
    private final ByteBuffer[] buffers;
    private final long[] addresses;
    private final int bufferSize;
    private int count;

    public PacketBatch(int capacity, int bufferSize) {
        if (capacity < 1 || bufferSize < 1) {
            throw new IllegalArgumentException("capacity " + capacity + ", bufferSize " + bufferSize
                    + " (expected: both >= 1)");
        }
        this.buffers = new ByteBuffer[capacity];
        this.addresses = new long[capacity];
        this.bufferSize = bufferSize;
        // one slab, sliced: the packets of a batch sit next to each other in memory
        ByteBuffer slab = ByteBuffer.allocateDirect(Math.multiplyExact(capacity, bufferSize));
        long base = Pointer.nativeValue(Native.getDirectBufferPointer(slab));
        for (int i = 0; i < capacity; i++) {
            buffers[i] = slab.slice(i * bufferSize, bufferSize);
            addresses[i] = base + (long) i * bufferSize;
        }
    }

    public int capacity() {
        return buffers.length;
    }

    public int bufferSize() {
        return bufferSize;
    }

    /** Packets held after the last read. */
    public int count() {
        return count;
    }

    /** Packet {@code i} (0 <= i < count): position 0, limit = its length. */
    public ByteBuffer get(int i) {
        return buffers[i];
    }

    /** Sets how many buffers hold packets (for fakes and tests that fill the batch themselves). */
    public void setCount(int n) {
        if (n < 0 || n > buffers.length) {
            throw new IllegalArgumentException("count " + n + " (expected: 0.." + buffers.length + ")");
        }
        count = n;
    }

    long address(int i) {
        return addresses[i];
    }
}
