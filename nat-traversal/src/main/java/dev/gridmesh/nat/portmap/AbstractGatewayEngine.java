package dev.gridmesh.nat.portmap;

import static java.util.Objects.requireNonNull;

import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.Map;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Queues, retransmission and drop counting shared by {@link PcpClient} and {@link PmpClient}. Not thread-safe. */
abstract class AbstractGatewayEngine implements GatewayUdpEngine {
    private static final Logger log = LoggerFactory.getLogger(AbstractGatewayEngine.class);
    final InetSocketAddress server;
    final Retransmit retransmit;
    final EpochTracker epoch = new EpochTracker();
    private final ArrayDeque<byte[]> transmits = new ArrayDeque<>();
    private final ArrayDeque<GatewayEvent> events = new ArrayDeque<>();
    private final Map<String, Long> drops = new TreeMap<>();
    private byte[] pending;

    AbstractGatewayEngine(InetSocketAddress server, PortMapperOptions options) {
        this.server = requireNonNull(server, "server");
        this.retransmit = new Retransmit(options.initialRto(), options.maxAttempts());
    }

    /** Sends {@code request} now and keeps it for retransmission until {@link #finish()}. */
    final void send(byte[] request, long now) {
        pending = request;
        transmits.add(request);
        retransmit.start(now);
    }

    final void finish() {
        pending = null;
        retransmit.stop();
    }

    final void emit(GatewayEvent e) {
        events.add(e);
    }

    final void drop(String reason, String detail) {
        drops.merge(reason, 1L, Long::sum);
        log.debug("{}: dropped datagram from gateway: {}: {}", getClass().getSimpleName(), reason, detail);
    }

    /** True when {@code from} is the server we talk to (anything else is dropped as "wrong_source"). */
    final boolean fromServer(InetSocketAddress from) {
        if (server.equals(from)) {
            return true;
        }
        drop("wrong_source", String.valueOf(from));
        return false;
    }

    @Override
    public void handleTimeout(long nowNanos) {
        if (!retransmit.active()) {
            return;
        }
        if (retransmit.onTimeout(nowNanos)) {
            transmits.add(pending);
        } else if (!retransmit.active()) {
            int attempts = retransmit.attempts();
            finish();
            onTimedOut();
            emit(new GatewayEvent.TimedOut(attempts));
        }
    }

    /** Hook: the current request got no answer (state cleanup before the event). */
    void onTimedOut() { }

    @Override
    public byte[] pollTransmit() {
        return transmits.poll();
    }

    @Override
    public long pollTimeout() {
        return retransmit.deadline();
    }

    @Override
    public GatewayEvent pollEvent() {
        return events.poll();
    }

    @Override
    public boolean busy() {
        return pending != null;
    }

    @Override
    public Map<String, Long> dropCounts() {
        return Map.copyOf(drops);
    }
}
