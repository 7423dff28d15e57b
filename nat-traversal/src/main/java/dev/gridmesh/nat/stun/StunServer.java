package dev.gridmesh.nat.stun;

import static java.util.Objects.requireNonNull;

import dev.gridmesh.nat.stun.StunAttribute.ChangeRequest;
import dev.gridmesh.nat.stun.StunAttribute.ErrorCode;
import dev.gridmesh.nat.stun.StunAttribute.Fingerprint;
import dev.gridmesh.nat.stun.StunAttribute.MappedAddress;
import dev.gridmesh.nat.stun.StunAttribute.OtherAddress;
import dev.gridmesh.nat.stun.StunAttribute.ResponseOrigin;
import dev.gridmesh.nat.stun.StunAttribute.Software;
import dev.gridmesh.nat.stun.StunAttribute.UnknownAttributes;
import dev.gridmesh.nat.stun.StunAttribute.XorMappedAddress;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;

/**
 * A sans-I/O STUN Binding server (RFC 8489 section 6.3; RFC 5780 RESPONSE-ORIGIN/OTHER-ADDRESS). Give it a datagram
 * and the address it came from; it writes the response, if any, into a caller-owned buffer and says what it did.
 * Bad datagrams are dropped and counted by {@link DropReason}; nothing is thrown for any input.
 *
 * <p>Thread-safe: it keeps no per-request state, its counters are atomic and its rate-limit table is locked, so
 * several I/O threads may share one.
 */
public final class StunServer {

    /** Why a datagram got no success response. */
    public enum DropReason {
        /** Shorter than a header, top bits set, or no magic cookie (including RFC 3489 requests). */
        NOT_STUN,
        /** Header length disagrees with the datagram. */
        BAD_LENGTH,
        /** An attribute is truncated or has a malformed value. */
        MALFORMED_ATTRIBUTE,
        /** FINGERPRINT mismatch or misplaced. */
        BAD_FINGERPRINT,
        /** A comprehension-required attribute we do not understand: answered with a 420 error, not a success. */
        UNKNOWN_COMPREHENSION_REQUIRED,
        /** CHANGE-REQUEST asked for another address or port that this server does not have: answered with 420. */
        CHANGE_REQUEST_UNSUPPORTED,
        /** A request for a method other than Binding. */
        NOT_BINDING_REQUEST,
        /** A response arriving at the server (reflection attempt or confused peer). */
        UNEXPECTED_RESPONSE,
        /** A Binding indication (keepalive): consumed without a response, as RFC 8489 section 6.3.2 says. */
        INDICATION,
        /** The source address sent more than its rate allows (a reflection/amplification guard). */
        RATE_LIMITED,
        /** The response did not fit the caller's output buffer. */
        OUTPUT_TOO_SMALL
    }

    /** What {@link #handle} did. Instances are shared constants: handling allocates no result object. */
    public sealed interface Result {
        /** Whether a response (success or error) was written to {@code out}: send it back to the sender. */
        boolean reply();

        /** A response was written: {@link #reply()} is true. {@code error} when it is a 4xx error response. */
        record Reply(boolean error, DropReason reason) implements Result {
            @Override
            public boolean reply() {
                return true;
            }
        }

        /** Nothing to send. */
        record Drop(DropReason reason) implements Result {
            @Override
            public boolean reply() {
                return false;
            }
        }
    }

    private static final Result SUCCESS = new Result.Reply(false, null);
    private static final Map<DropReason, Result> DROPS = new EnumMap<>(DropReason.class);
    private static final Map<DropReason, Result> ERROR_REPLIES = new EnumMap<>(DropReason.class);

    static {
        for (DropReason r : DropReason.values()) {
            DROPS.put(r, new Result.Drop(r));
            ERROR_REPLIES.put(r, new Result.Reply(true, r));
        }
    }

    /**
     * Per-source-address token bucket: {@code perSecond} requests a second, bursts of {@code burst}. At most
     * {@code maxSources} addresses are tracked; when the table is full it is cleared (a flood of spoofed sources
     * then resets everyone's bucket, which errs on the side of answering).
     */
    public record RateLimit(int perSecond, int burst, int maxSources) {
        /**
         * 20 requests a second per source address, bursts of 40, 65536 sources; agents send a few a minute. Not the
         * default, since tests and NAT'd offices may burst from one address: opt in on public relays.
         */
        public static final RateLimit DEFAULT = new RateLimit(20, 40, 65536);
        public static final RateLimit NONE = new RateLimit(Integer.MAX_VALUE, Integer.MAX_VALUE, 0);

        public RateLimit {
            if (perSecond < 1 || burst < 1 || maxSources < 0) {
                throw new IllegalArgumentException("rate limit: perSecond and burst >= 1, maxSources >= 0");
            }
        }

        boolean unlimited() {
            return maxSources == 0;
        }
    }

    private static final class Bucket {
        double tokens;
        long lastNanos;
    }

    private final String software;
    private final InetSocketAddress otherAddress;
    private final RateLimit rateLimit;
    private final Map<InetAddress, Bucket> buckets = new HashMap<>();
    private volatile List<InetSocketAddress> endpoints = List.of();
    private final LongAdder datagrams = new LongAdder();
    private final LongAdder successes = new LongAdder();
    private final AtomicLongArray drops = new AtomicLongArray(DropReason.values().length);

    /**
     * A server without a rate limit; on a public server pass {@link RateLimit#DEFAULT} to the three-argument
     * constructor instead.
     *
     * @param software the SOFTWARE attribute to send, or null for none
     * @param otherAddress the server's alternate address for OTHER-ADDRESS (RFC 5780), or null when it has none
     *     (then {@link StunUdpServer} names its next bound port)
     */
    public StunServer(String software, InetSocketAddress otherAddress) {
        this(software, otherAddress, RateLimit.NONE);
    }

    /** @param rateLimit applied by the {@code handle} overload that takes {@code nowNanos} */
    public StunServer(String software, InetSocketAddress otherAddress, RateLimit rateLimit) {
        this.software = software;
        this.otherAddress = otherAddress;
        this.rateLimit = requireNonNull(rateLimit, "rateLimit");
    }

    public StunServer() {
        this("gridmesh", null);
    }

    /**
     * Tells the engine every endpoint it answers on (set by {@link StunUdpServer} after binding). With two or more,
     * and no fixed {@code otherAddress}, a request arriving on one endpoint gets the next one as OTHER-ADDRESS, so a
     * client that knows one port of the relay finds the second for NAT classification. Wildcard endpoints are
     * completed with the request's local address, or left out when that is unknown.
     */
    void useEndpoints(List<InetSocketAddress> bound) {
        this.endpoints = List.copyOf(bound);
    }

    private InetSocketAddress otherFor(InetSocketAddress local) {
        if (otherAddress != null) {
            return otherAddress;
        }
        List<InetSocketAddress> eps = endpoints;
        if (local == null || eps.size() < 2) {
            return null;
        }
        for (int i = 0; i < eps.size(); i++) {
            InetSocketAddress e = eps.get(i);
            boolean same = e.getPort() == local.getPort()
                    && (e.getAddress().isAnyLocalAddress() || e.getAddress().equals(local.getAddress()));
            if (same) {
                InetSocketAddress next = eps.get((i + 1) % eps.size());
                if (!next.getAddress().isAnyLocalAddress()) {
                    return next;
                }
                return local.getAddress().isAnyLocalAddress() ? null : new InetSocketAddress(local.getAddress(), next.getPort());
            }
        }
        return null;
    }

    /** Without RESPONSE-ORIGIN and without rate limiting. */
    public Result handle(InetSocketAddress from, ByteBuffer request, ByteBuffer out) {
        return handle(from, null, request, out);
    }

    /**
     * {@link #handle(InetSocketAddress, InetSocketAddress, ByteBuffer, ByteBuffer)} after the per-source
     * {@link RateLimit}: a source over its rate is dropped as {@link DropReason#RATE_LIMITED} before any decoding.
     */
    public Result handle(InetSocketAddress from, InetSocketAddress local, ByteBuffer request, ByteBuffer out, long nowNanos) {
        requireNonNull(from, "from");
        if (!rateLimit.unlimited() && !admit(from.getAddress(), nowNanos)) {
            datagrams.increment();
            return drop(DropReason.RATE_LIMITED);
        }
        return handle(from, local, request, out);
    }

    private boolean admit(InetAddress source, long nowNanos) {
        synchronized (buckets) {
            Bucket b = buckets.get(source);
            if (b == null) {
                if (buckets.size() >= rateLimit.maxSources()) {
                    buckets.clear();
                }
                b = new Bucket();
                b.tokens = rateLimit.burst();
                b.lastNanos = nowNanos;
                buckets.put(source, b);
            } else {
                double refill = (nowNanos - b.lastNanos) / 1e9 * rateLimit.perSecond();
                b.tokens = Math.min(rateLimit.burst(), b.tokens + Math.max(0, refill));
                b.lastNanos = nowNanos;
            }
            if (b.tokens < 1) {
                return false;
            }
            b.tokens -= 1;
            return true;
        }
    }

    /**
     * Handles one datagram.
     *
     * @param from the sender's address as the socket saw it: becomes XOR-MAPPED-ADDRESS
     * @param local the local address the datagram arrived on (sent back as RESPONSE-ORIGIN), or null if unknown
     * @param request the datagram from position to limit; its position is not moved
     * @param out receives the response at its position (advanced past it) when the result is a reply; at least
     *     {@link StunCodec#MAX_MESSAGE} bytes are enough
     */
    public Result handle(InetSocketAddress from, InetSocketAddress local, ByteBuffer request, ByteBuffer out) {
        requireNonNull(from, "from");
        datagrams.increment();
        StunMessage msg;
        switch (StunCodec.decode(request)) {
            case StunDecoded.Err(StunDecodeError reason, String detail) -> {
                return drop(switch (reason) {
                    case NOT_STUN -> DropReason.NOT_STUN;
                    case BAD_LENGTH -> DropReason.BAD_LENGTH;
                    case TRUNCATED_ATTRIBUTE, BAD_ATTRIBUTE -> DropReason.MALFORMED_ATTRIBUTE;
                    case BAD_FINGERPRINT -> DropReason.BAD_FINGERPRINT;
                });
            }
            case StunDecoded.Ok(StunMessage m) -> msg = m;
        }
        switch (msg.messageClass()) {
            case SUCCESS_RESPONSE, ERROR_RESPONSE -> {
                return drop(DropReason.UNEXPECTED_RESPONSE);
            }
            case INDICATION -> {
                return drop(DropReason.INDICATION);
            }
            case REQUEST -> {
                // handled below
            }
        }
        if (!msg.isBinding()) {
            // RFC 8489 section 6.3.1 would answer 400 for an unknown method; we stay silent to avoid reflection.
            return drop(DropReason.NOT_BINDING_REQUEST);
        }
        boolean fingerprint = msg.attribute(Fingerprint.class).isPresent();
        List<Integer> unknown = msg.unknownComprehensionRequired();
        if (!unknown.isEmpty()) {
            return errorReply(msg, out, fingerprint, DropReason.UNKNOWN_COMPREHENSION_REQUIRED, unknown);
        }
        var change = msg.attribute(ChangeRequest.class);
        if (change.isPresent() && (change.get().changeIp() || change.get().changePort())) {
            return errorReply(msg, out, fingerprint, DropReason.CHANGE_REQUEST_UNSUPPORTED,
                    List.of(StunAttributeType.CHANGE_REQUEST));
        }
        List<StunAttribute> attrs = new ArrayList<>(6);
        attrs.add(new XorMappedAddress(from));
        attrs.add(new MappedAddress(from));
        if (local != null && local.getAddress() != null && !local.getAddress().isAnyLocalAddress()) {
            attrs.add(new ResponseOrigin(local));
        }
        InetSocketAddress other = otherFor(local);
        if (other != null) {
            attrs.add(new OtherAddress(other));
        }
        if (software != null) {
            attrs.add(new Software(software));
        }
        attrs.add(new Fingerprint(0));
        if (!write(new StunMessage(StunClass.SUCCESS_RESPONSE, StunMessage.BINDING, msg.transactionId(), attrs), out)) {
            return drop(DropReason.OUTPUT_TOO_SMALL);
        }
        successes.increment();
        return SUCCESS;
    }

    private Result errorReply(StunMessage req, ByteBuffer out, boolean fingerprint, DropReason reason, List<Integer> unknown) {
        List<StunAttribute> attrs = new ArrayList<>(4);
        attrs.add(new ErrorCode(ErrorCode.UNKNOWN_ATTRIBUTE, "Unknown Attribute"));
        attrs.add(new UnknownAttributes(unknown.size() > 16 ? unknown.subList(0, 16) : unknown));
        if (software != null) {
            attrs.add(new Software(software));
        }
        if (fingerprint) {
            attrs.add(new Fingerprint(0));
        }
        drops.incrementAndGet(reason.ordinal());
        if (!write(new StunMessage(StunClass.ERROR_RESPONSE, req.method(), req.transactionId(), attrs), out)) {
            return drop(DropReason.OUTPUT_TOO_SMALL);
        }
        return ERROR_REPLIES.get(reason);
    }

    private static boolean write(StunMessage msg, ByteBuffer out) {
        if (out.remaining() < StunCodec.MAX_MESSAGE) {
            int start = out.position();
            try {
                StunCodec.encode(msg, out);
                return true;
            } catch (IllegalArgumentException e) {
                out.position(start);
                return false;
            }
        }
        StunCodec.encode(msg, out);
        return true;
    }

    private Result drop(DropReason reason) {
        drops.incrementAndGet(reason.ordinal());
        return DROPS.get(reason);
    }

    /** Datagrams handed to {@link #handle}. */
    public long datagrams() {
        return datagrams.sum();
    }

    /** Binding success responses written. */
    public long successes() {
        return successes.sum();
    }

    public long drops(DropReason reason) {
        return drops.get(reason.ordinal());
    }

    /** Every reason with a non-zero count. */
    public Map<DropReason, Long> dropCounts() {
        Map<DropReason, Long> m = new EnumMap<>(DropReason.class);
        for (DropReason r : DropReason.values()) {
            long n = drops.get(r.ordinal());
            if (n != 0) {
                m.put(r, n);
            }
        }
        return m;
    }
}
