package dev.gridmesh.nat.stun;

import static java.util.Objects.requireNonNull;

import dev.gridmesh.nat.stun.StunAttribute.ErrorCode;
import dev.gridmesh.nat.stun.StunAttribute.Fingerprint;
import dev.gridmesh.nat.stun.StunAttribute.OtherAddress;
import dev.gridmesh.nat.stun.StunAttribute.ResponseOrigin;
import dev.gridmesh.nat.stun.StunAttribute.Software;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.random.RandomGenerator;

/**
 * Sans-I/O STUN Binding client (RFC 8489 section 6.2.1 over UDP). It owns no socket: the caller sends what
 * {@link #pollTransmit()} returns from whichever UDP socket it likes (the agent uses its WireGuard socket and routes
 * datagrams here when {@link StunCodec#looksLikeStun} says so), feeds received datagrams to
 * {@link #handleDatagram}, calls {@link #handleTimeout} at {@link #pollTimeout()}, and drains {@link #pollEvent()}.
 *
 * <p>Several transactions may run at once (e.g. to two servers for NAT classification). Not thread-safe.
 */
public final class StunClient {
    /** {@link #pollTimeout()} when nothing is pending. */
    public static final long NO_TIMEOUT = Long.MAX_VALUE;

    /** A datagram to send. */
    public record Transmit(InetSocketAddress destination, byte[] datagram) {}

    /** What a finished transaction produced. */
    public sealed interface BindingEvent {
        TransactionId transactionId();

        InetSocketAddress server();

        /**
         * @param mapped the reflexive address (XOR-MAPPED-ADDRESS or MAPPED-ADDRESS)
         * @param from where the response came from
         * @param rttNanos time from the last (re)transmission to the response
         * @param requests how many requests were sent
         * @param responseOrigin RESPONSE-ORIGIN, or null
         * @param otherAddress OTHER-ADDRESS, or null
         */
        record Success(TransactionId transactionId, InetSocketAddress server, InetSocketAddress mapped,
                InetSocketAddress from, long rttNanos, int requests, InetSocketAddress responseOrigin,
                InetSocketAddress otherAddress) implements BindingEvent {}

        /** No response within the retransmission budget. */
        record Timeout(TransactionId transactionId, InetSocketAddress server, int requests) implements BindingEvent {}

        /** An error response, or a success response without a mapped address ({@code code} 0 then). */
        record Failure(TransactionId transactionId, InetSocketAddress server, int code, String reason) implements BindingEvent {}
    }

    /** Why a datagram given to {@link #handleDatagram} was not used. */
    public enum DropReason {
        NOT_STUN, MALFORMED, BAD_FINGERPRINT, NOT_A_RESPONSE, UNKNOWN_TRANSACTION, UNKNOWN_COMPREHENSION_REQUIRED
    }

    private static final class Transaction {
        final TransactionId id;
        final InetSocketAddress server;
        final byte[] request;
        int sent;
        long lastSentNanos;
        long deadlineNanos;

        Transaction(TransactionId id, InetSocketAddress server, byte[] request) {
            this.id = id;
            this.server = server;
            this.request = request;
        }
    }

    private final StunClientConfig config;
    private final RandomGenerator rng;
    private final List<Transaction> inFlight = new ArrayList<>(4);
    private final ArrayDeque<Transmit> transmits = new ArrayDeque<>();
    private final ArrayDeque<BindingEvent> events = new ArrayDeque<>();
    private final long[] drops = new long[DropReason.values().length];

    /** @param rng source of transaction ids: a {@link java.security.SecureRandom} in production */
    public StunClient(StunClientConfig config, RandomGenerator rng) {
        this.config = requireNonNull(config, "config");
        this.rng = requireNonNull(rng, "rng");
    }

    public StunClientConfig config() {
        return config;
    }

    /** Starts a Binding transaction to {@code server}; its first request is ready in {@link #pollTransmit()} at once. */
    public TransactionId startBinding(InetSocketAddress server, long nowNanos) {
        requireNonNull(server, "server");
        TransactionId id = TransactionId.random(rng);
        List<StunAttribute> attrs = new ArrayList<>(2);
        if (config.software() != null) {
            attrs.add(new Software(config.software()));
        }
        if (config.fingerprint()) {
            attrs.add(new Fingerprint(0));
        }
        Transaction t = new Transaction(id, server,
                StunCodec.encode(new StunMessage(StunClass.REQUEST, StunMessage.BINDING, id, attrs)));
        inFlight.add(t);
        send(t, nowNanos);
        return id;
    }

    /** Abandons a transaction without an event. Returns whether it was running. */
    public boolean cancel(TransactionId id) {
        return inFlight.removeIf(t -> t.id.equals(id));
    }

    private void send(Transaction t, long nowNanos) {
        t.sent++;
        t.lastSentNanos = nowNanos;
        long rto = config.initialRto().toNanos();
        t.deadlineNanos = nowNanos + (t.sent < config.maxRequests()
                ? rto << (t.sent - 1)
                : rto * config.lastWaitFactor());
        transmits.add(new Transmit(t.server, t.request));
    }

    /**
     * Offers a received datagram (position to limit; position untouched). Returns true when it was a STUN response
     * to one of our transactions; false otherwise (counted by reason), so the caller may try other handlers.
     */
    public boolean handleDatagram(InetSocketAddress from, ByteBuffer datagram, long nowNanos) {
        StunMessage msg;
        switch (StunCodec.decode(datagram)) {
            case StunDecoded.Err(StunDecodeError reason, String detail) -> {
                drops[(switch (reason) {
                    case NOT_STUN -> DropReason.NOT_STUN;
                    case BAD_FINGERPRINT -> DropReason.BAD_FINGERPRINT;
                    case BAD_LENGTH, TRUNCATED_ATTRIBUTE, BAD_ATTRIBUTE -> DropReason.MALFORMED;
                }).ordinal()]++;
                return false;
            }
            case StunDecoded.Ok(StunMessage m) -> msg = m;
        }
        if (!msg.messageClass().isResponse() || !msg.isBinding()) {
            drops[DropReason.NOT_A_RESPONSE.ordinal()]++;
            return false;
        }
        Transaction t = null;
        for (Iterator<Transaction> it = inFlight.iterator(); it.hasNext(); ) {
            Transaction c = it.next();
            if (c.id.equals(msg.transactionId())) {
                t = c;
                it.remove();
                break;
            }
        }
        if (t == null) {
            drops[DropReason.UNKNOWN_TRANSACTION.ordinal()]++;
            return false;
        }
        if (!msg.unknownComprehensionRequired().isEmpty()) {
            // RFC 8489 section 6.3.4: a response with unknown comprehension-required attributes fails the transaction.
            drops[DropReason.UNKNOWN_COMPREHENSION_REQUIRED.ordinal()]++;
            events.add(new BindingEvent.Failure(t.id, t.server, 0,
                    "unknown comprehension-required attributes " + msg.unknownComprehensionRequired()));
            return true;
        }
        if (msg.messageClass() == StunClass.ERROR_RESPONSE) {
            var e = msg.attribute(ErrorCode.class);
            events.add(new BindingEvent.Failure(t.id, t.server, e.map(ErrorCode::code).orElse(0),
                    e.map(ErrorCode::reason).orElse("error response without ERROR-CODE")));
            return true;
        }
        var mapped = msg.mappedAddress();
        if (mapped.isEmpty()) {
            events.add(new BindingEvent.Failure(t.id, t.server, 0, "success response without a mapped address"));
            return true;
        }
        events.add(new BindingEvent.Success(t.id, t.server, mapped.get(), from, nowNanos - t.lastSentNanos, t.sent,
                msg.attribute(ResponseOrigin.class).map(ResponseOrigin::address).orElse(null),
                msg.attribute(OtherAddress.class).map(OtherAddress::address).orElse(null)));
        return true;
    }

    /** Retransmits or fails the transactions whose deadline has come. */
    public void handleTimeout(long nowNanos) {
        for (Iterator<Transaction> it = inFlight.iterator(); it.hasNext(); ) {
            Transaction t = it.next();
            if (nowNanos - t.deadlineNanos < 0) {
                continue;
            }
            if (t.sent < config.maxRequests()) {
                send(t, nowNanos);
            } else {
                it.remove();
                events.add(new BindingEvent.Timeout(t.id, t.server, t.sent));
            }
        }
    }

    /** The earliest deadline, or {@link #NO_TIMEOUT}. */
    public long pollTimeout() {
        long min = NO_TIMEOUT;
        boolean any = false;
        for (Transaction t : inFlight) {
            if (!any || t.deadlineNanos - min < 0) {
                min = t.deadlineNanos;
                any = true;
            }
        }
        return min;
    }

    /** The next datagram to send, or null. */
    public Transmit pollTransmit() {
        return transmits.poll();
    }

    /** The next finished transaction, or null. */
    public BindingEvent pollEvent() {
        return events.poll();
    }

    public int inFlight() {
        return inFlight.size();
    }

    public Map<DropReason, Long> dropCounts() {
        Map<DropReason, Long> m = new EnumMap<>(DropReason.class);
        for (DropReason r : DropReason.values()) {
            if (drops[r.ordinal()] != 0) {
                m.put(r, drops[r.ordinal()]);
            }
        }
        return m;
    }
}
