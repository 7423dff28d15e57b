package dev.gridmesh.agent.tun;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Map;

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

    /**
     * Whether the device runs with TUN offloads ({@code IFF_VNET_HDR}): {@link #read} still returns plain IP packets
     * (super-packets already cut), and {@link #writeFrame} takes coalesced frames.
     */
    default boolean offloads() {
        return false;
    }

    /**
     * Writes one frame: a {@code virtio_net_hdr} then an IP packet, possibly a TCP super-packet
     * ({@code frame}'s position..limit; a direct buffer). Only when {@link #offloads()}. Returns false when the
     * kernel refused it (counted by the caller); throws only when the device is unusable.
     */
    default boolean writeFrame(ByteBuffer frame) throws IOException {
        throw new UnsupportedOperationException(this + " has no offloads");
    }

    /**
     * The device's own counters by stable name (offload drops by reason, GSO frames read and written, whether
     * offloads were refused); empty when it has none. Any thread.
     */
    default Map<String, Long> counters() {
        return Map.of();
    }

    /** Idempotent. */
    @Override
    void close();
}
