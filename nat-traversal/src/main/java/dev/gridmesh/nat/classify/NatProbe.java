package dev.gridmesh.nat.classify;

import static java.util.Objects.requireNonNull;

import dev.gridmesh.nat.stun.StunClient;
import dev.gridmesh.nat.stun.StunClient.BindingEvent;
import dev.gridmesh.nat.stun.TransactionId;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A sans-I/O NAT check: sends Binding requests from one socket to each given server endpoint at once (the relay's
 * STUN on two ports or addresses), and, when only one endpoint is given, also to the OTHER-ADDRESS the first answer
 * names. When every transaction has finished, {@link #report()} classifies the NAT.
 *
 * <p>Drive it like {@link StunClient}: {@link #start}, then send {@link #pollTransmit()}, feed {@link #handleDatagram},
 * call {@link #handleTimeout} at {@link #pollTimeout()}, until {@link #isDone()}. Not thread-safe.
 */
public final class NatProbe {
    private final StunClient client;
    private final List<InetSocketAddress> servers;
    private final Set<InetSocketAddress> localAddresses;
    private final Map<TransactionId, InetSocketAddress> pending = new HashMap<>();
    private final Map<InetSocketAddress, BindingObservation> results = new LinkedHashMap<>();
    private boolean started;
    private boolean followedOther;

    /**
     * @param client a client of its own on the socket being classified: the probe consumes every event of the
     *     client. Several clients can share one socket; each takes only the responses to its transactions.
     * @param servers one or more STUN server endpoints
     * @param localAddresses see {@link NatClassifier#classify}
     */
    public NatProbe(StunClient client, List<InetSocketAddress> servers, Set<InetSocketAddress> localAddresses) {
        this.client = requireNonNull(client, "client");
        if (servers.isEmpty()) {
            throw new IllegalArgumentException("servers: none (expected: at least one STUN endpoint)");
        }
        this.servers = List.copyOf(servers);
        this.localAddresses = Set.copyOf(localAddresses);
    }

    public void start(long nowNanos) {
        if (started) {
            throw new IllegalStateException("already started");
        }
        started = true;
        for (InetSocketAddress s : servers) {
            probe(s, nowNanos);
        }
    }

    private void probe(InetSocketAddress server, long nowNanos) {
        if (!results.containsKey(server) && !pending.containsValue(server)) {
            pending.put(client.startBinding(server, nowNanos), server);
        }
    }

    /** Offers a datagram; true when it answered one of this probe's transactions. */
    public boolean handleDatagram(InetSocketAddress from, ByteBuffer datagram, long nowNanos) {
        boolean used = client.handleDatagram(from, datagram, nowNanos);
        drainEvents(nowNanos);
        return used;
    }

    public void handleTimeout(long nowNanos) {
        client.handleTimeout(nowNanos);
        drainEvents(nowNanos);
    }

    private void drainEvents(long nowNanos) {
        for (BindingEvent e; (e = client.pollEvent()) != null; ) {
            InetSocketAddress server = pending.remove(e.transactionId());
            if (server == null) {
                continue; // cancelled or foreign: nothing to record
            }
            switch (e) {
                case BindingEvent.Success s -> {
                    results.put(server, new BindingObservation(server, s.mapped(), s.rttNanos()));
                    InetSocketAddress other = s.otherAddress();
                    if (other != null && other.getAddress().isAnyLocalAddress()) {
                        other = new InetSocketAddress(server.getAddress(), other.getPort());
                    }
                    if (servers.size() == 1 && !followedOther && other != null && !other.equals(server)) {
                        followedOther = true;
                        probe(other, nowNanos);
                    }
                }
                case BindingEvent.Timeout t -> results.put(server, BindingObservation.timedOut(server));
                case BindingEvent.Failure f -> results.put(server, BindingObservation.timedOut(server));
            }
        }
    }

    public StunClient.Transmit pollTransmit() {
        return client.pollTransmit();
    }

    public long pollTimeout() {
        return client.pollTimeout();
    }

    public boolean isDone() {
        return started && pending.isEmpty();
    }

    /** The classification of what has been seen so far (final once {@link #isDone()}). */
    public NatReport report() {
        return NatClassifier.classify(localAddresses, new ArrayList<>(results.values()));
    }
}
