package dev.gridmesh.agent.tun;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * A layer-3 tunnel device carrying raw IPv4/IPv6 packets (no packet-information header). Reads happen on one
 * thread (the inside loop); writes may come from another. {@link #close()} from any thread unblocks a blocked
 * {@link #read} (which then returns -1) and removes a non-persistent interface.
 */
public interface TunDevice extends AutoCloseable {
    /** The kernel's interface name (e.g. {@code wg0}). */
    String name();

    /**
     * Blocks until at least one packet is available, then reads as many as are ready without blocking, up to the
     * batch's capacity. Each packet lands in its own buffer (position 0, limit = length). Returns the number read
     * (also in {@link PacketBatch#count()}), or -1 once the device is closed.
     */
    int read(PacketBatch batch) throws IOException;

    /**
     * Writes one IP packet ({@code packet}'s position..limit; a direct buffer) to the kernel. Returns false when the
     * kernel refused the packet (interface down, malformed): the caller counts a drop. Throws only when the device
     * is unusable (closed).
     */
    boolean write(ByteBuffer packet) throws IOException;

    /** Idempotent. */
    @Override
    void close();
}
