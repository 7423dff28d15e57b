package dev.gridmesh.protocol.wg;

import dev.gridmesh.crypto.NodePrivateKey;
import dev.gridmesh.crypto.NodePublicKey;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.LongSupplier;
import java.util.random.RandomGenerator;

/**
 * A WireGuard device's protocol state: static key, peers, index table, allowed-IPs routing (longest-prefix match,
 * IPv4+IPv6), handshakes, sessions, timers, cookies. No sockets, no threads, time is passed in.
 * Thread safety: encapsulate() may run on one thread while decapsulate() runs on another and tick()/peer changes on a
 * third; the data fast path takes no lock beyond a volatile read of the current keypair (counters atomic).
 */
public final class WgEngine {
    /** 16-byte transport header + 16-byte Poly1305 tag; dst needs ipPacket length rounded up to 16, plus this. */
    public static final int MAX_OVERHEAD = 32;

    private final NodePrivateKey staticKey;
    private final NodePublicKey publicKey;
    private final WgTimers timers;
    private final RandomGenerator rng;
    private final LongSupplier epochMillis;
    private final ConcurrentLinkedQueue<Transmit> transmits = new ConcurrentLinkedQueue<>();

    public WgEngine(NodePrivateKey staticKey, WgTimers timers, RandomGenerator rng, LongSupplier epochMillis) {
        this.staticKey = Objects.requireNonNull(staticKey, "staticKey");
        this.publicKey = staticKey.publicKey();
        this.timers = Objects.requireNonNull(timers, "timers");
        this.rng = Objects.requireNonNull(rng, "rng");
        this.epochMillis = Objects.requireNonNull(epochMillis, "epochMillis");
    }

    public NodePublicKey publicKey() {
        return publicKey;
    }

    /** Adds or updates a peer; keeps its sessions if the key is unchanged. */
    public void upsertPeer(WgPeerConfig config) {
        throw new UnsupportedOperationException("not yet");
    }

    public boolean removePeer(NodePublicKey key) {
        throw new UnsupportedOperationException("not yet");
    }

    /** Path selection may move a peer: the next datagrams go to {@code endpoint} (null = unknown / relay). */
    public void setPeerEndpoint(NodePublicKey key, InetSocketAddress endpoint) {
        throw new UnsupportedOperationException("not yet");
    }

    public List<WgPeerStatus> peers() {
        return List.of();
    }

    /** Outbound IP packet (position..limit, read from TUN) -> WireGuard datagram written into dst (flipped). */
    public Action encapsulate(ByteBuffer ipPacket, ByteBuffer dst, long nowNanos, PacketResult result) {
        throw new UnsupportedOperationException("not yet");
    }

    /** Same, for a known peer (bypasses routing); an empty ipPacket sends a keepalive. */
    public Action encapsulate(NodePublicKey peer, ByteBuffer ipPacket, ByteBuffer dst, long nowNanos,
            PacketResult result) {
        throw new UnsupportedOperationException("not yet");
    }

    /**
     * Inbound datagram from {@code from} (null = arrived over the relay: never used for roaming) -> IP packet for TUN
     * (WRITE_TUN), or a reply datagram (SEND: handshake response / cookie reply), or NONE (keepalive, consumed).
     */
    public Action decapsulate(InetSocketAddress from, ByteBuffer datagram, ByteBuffer dst, long nowNanos,
            PacketResult result) {
        throw new UnsupportedOperationException("not yet");
    }

    /** Drives timers (call every ~100 ms or at {@link #nextDeadline()}). Outputs go to {@link #pollTransmit()}. */
    public void tick(long nowNanos) {
    }

    /** The earliest nanoTime at which {@link #tick} has work, or {@code Long.MAX_VALUE} if none is pending. */
    public long nextDeadline() {
        return Long.MAX_VALUE;
    }

    /** The next datagram to send, null when empty; thread-safe. */
    public Transmit pollTransmit() {
        return transmits.poll();
    }

    public Map<DropReason, Long> dropCounts() {
        return new EnumMap<>(DropReason.class);
    }
}
