package dev.gridmesh.nat.portmap;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.Map;

/**
 * A sans-I/O request engine talking to the gateway's PCP/NAT-PMP server: fed datagrams and timeouts with
 * {@code nowNanos}; the caller sends what {@link #pollTransmit()} yields to the server and wakes up at
 * {@link #pollTimeout()}. One request at a time. Bad datagrams are counted in {@link #dropCounts()}, never thrown.
 * Not thread-safe.
 */
public interface GatewayUdpEngine {
    void handleDatagram(InetSocketAddress from, ByteBuffer datagram, long nowNanos);

    void handleTimeout(long nowNanos);

    /** The next datagram for the gateway's server port, or null. */
    byte[] pollTransmit();

    /** When to call {@link #handleTimeout} next; {@link Long#MAX_VALUE} when idle. */
    long pollTimeout();

    /** The next event, or null. */
    GatewayEvent pollEvent();

    /** True while a request waits for its answer. */
    boolean busy();

    /** Dropped datagrams by reason (snapshot). */
    Map<String, Long> dropCounts();
}
