package dev.gridmesh.testsupport.natlab;

import static java.util.Objects.requireNonNull;

import dev.gridmesh.testsupport.FakeClock;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.function.Predicate;

/**
 * An in-memory UDP internet on a {@link FakeClock}, in the spirit of Tailscale's natlab. Hosts sit on the internet
 * or behind a {@link NatBox}; a datagram takes {@code latency} to arrive and is translated by NATs on its way at
 * arrival time. Nothing runs by itself: call {@link #deliverDue()} after moving the clock, or {@link #runUntilIdle}.
 * Deterministic: same calls, same results. Not thread-safe.
 *
 * <pre>
 *   inside "a"                       internet                        inside "b"
 *  +-----------+   +---------+                           +---------+   +-----------+
 *  | host a1   |---| NAT a   |---- public hosts, NATs ---| NAT b   |---| host b1   |
 *  | 198.19.1.2|   |198.18.0.2|      198.18.0.0/16       |198.18.0.3|  | 198.19.2.2|
 *  +-----------+   +---------+                           +---------+   +-----------+
 * </pre>
 *
 * One level of NAT (no NAT behind NAT). Hosts on the same inside reach each other directly by private address.
 */
public final class Network {
    private final FakeClock clock;
    private final Duration latency;
    private final Map<InetAddress, Host> publicHosts = new HashMap<>();
    private final Map<InetAddress, NatBox> nats = new HashMap<>();
    private final Map<NatBox, Map<InetAddress, Host>> inside = new HashMap<>();
    private final PriorityQueue<InFlight> queue = new PriorityQueue<>();
    private final EnumMap<DropReason, Long> drops = new EnumMap<>(DropReason.class);
    private long seq;
    private long sent;
    private long delivered;
    private Predicate<Datagram> lossFilter;

    private record InFlight(long at, long seq, NatBox from, InetSocketAddress src, InetSocketAddress dst, byte[] payload)
            implements Comparable<InFlight> {
        @Override
        public int compareTo(InFlight o) {
            int c = Long.compare(at - o.at, 0);
            return c != 0 ? c : Long.compare(seq, o.seq);
        }
    }

    public Network(FakeClock clock, Duration latency) {
        this.clock = requireNonNull(clock, "clock");
        this.latency = requireNonNull(latency, "latency");
    }

    /** A network with 5 ms one-way latency. */
    public Network(FakeClock clock) {
        this(clock, Duration.ofMillis(5));
    }

    public FakeClock clock() {
        return clock;
    }

    public Duration latency() {
        return latency;
    }

    /** A host on the internet with one or more public addresses. */
    public Host addPublicHost(String name, String... addresses) {
        List<InetAddress> addrs = new ArrayList<>();
        for (String a : addresses) {
            InetAddress ip = parse(a);
            checkFree(ip);
            addrs.add(ip);
        }
        if (addrs.isEmpty()) {
            throw new IllegalArgumentException(name + ": no address");
        }
        Host h = new Host(this, name, addrs, null);
        addrs.forEach(a -> publicHosts.put(a, h));
        return h;
    }

    /** A NAT router on the internet with {@code publicAddress}; add hosts behind it with {@link NatBox#addHost}. */
    public NatBox addNat(String name, String publicAddress, NatConfig config) {
        InetAddress ip = parse(publicAddress);
        checkFree(ip);
        NatBox n = new NatBox(this, name, ip, requireNonNull(config, "config"));
        nats.put(ip, n);
        inside.put(n, new HashMap<>());
        return n;
    }

    Host addHostBehind(NatBox nat, String name, String privateAddress) {
        InetAddress ip = parse(privateAddress);
        Map<InetAddress, Host> lan = inside.get(nat);
        if (lan.containsKey(ip)) {
            throw new IllegalArgumentException(name + ": " + privateAddress + " already used inside " + nat.name());
        }
        Host h = new Host(this, name, List.of(ip), nat);
        lan.put(ip, h);
        return h;
    }

    private void checkFree(InetAddress ip) {
        if (publicHosts.containsKey(ip) || nats.containsKey(ip)) {
            throw new IllegalArgumentException(ip.getHostAddress() + " is already on the network");
        }
    }

    private static InetAddress parse(String literal) {
        try {
            if (!literal.matches("[0-9a-fA-F:.]+")) {
                throw new IllegalArgumentException("address: " + literal + " (expected: an IP literal)");
            }
            return InetAddress.getByName(literal);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("address: " + literal + " (expected: an IP literal)", e);
        }
    }

    /** Drops datagrams (as seen by the sender, before NAT) for which {@code filter} is true; null to stop. */
    public void setLossFilter(Predicate<Datagram> filter) {
        this.lossFilter = filter;
    }

    void send(Host host, InetSocketAddress src, InetSocketAddress dst, byte[] payload) {
        sent++;
        if (host.udpBlocked()) {
            drop(DropReason.UDP_BLOCKED);
            return;
        }
        if (lossFilter != null && lossFilter.test(new Datagram(src, dst, payload))) {
            drop(DropReason.LOSS);
            return;
        }
        queue.add(new InFlight(clock.nanos() + latency.toNanos(), seq++, host.nat(), src, dst, payload));
    }

    /** When the next datagram arrives, or {@link Long#MAX_VALUE} when none is in flight. */
    public long nextDeliveryNanos() {
        InFlight f = queue.peek();
        return f == null ? Long.MAX_VALUE : f.at;
    }

    /** Delivers every datagram due by now (and ones that handlers send with zero latency). Returns how many arrived. */
    public int deliverDue() {
        int n = 0;
        long now = clock.nanos();
        while (!queue.isEmpty() && queue.peek().at - now <= 0) {
            InFlight f = queue.poll();
            if (route(f)) {
                n++;
            }
        }
        return n;
    }

    /**
     * Moves the clock from delivery to delivery until nothing is in flight or {@code limit} has passed, delivering as
     * it goes. Returns the datagrams delivered. Bounded: at most 1,000,000 deliveries.
     */
    public int runUntilIdle(Duration limit) {
        long end = clock.nanos() + limit.toNanos();
        int n = 0;
        for (int guard = 0; guard < 1_000_000 && !queue.isEmpty(); guard++) {
            long at = queue.peek().at;
            if (at - end > 0) {
                break;
            }
            clock.advanceTo(at);
            n += deliverDue();
        }
        return n;
    }

    private boolean route(InFlight f) {
        InetSocketAddress src = f.src;
        InetSocketAddress dst = f.dst;
        NatBox from = f.from;
        if (from != null) {
            Host local = inside.get(from).get(dst.getAddress());
            if (local != null) {
                return toSocket(local, src, dst, f.payload);
            }
            if (from.config().udpBlocked()) {
                return drop(DropReason.UDP_BLOCKED);
            }
            InetSocketAddress translated = from.outbound(src, dst);
            if (translated == null) {
                return drop(DropReason.NAT_PORTS_EXHAUSTED);
            }
            if (dst.getAddress().equals(from.publicAddress()) && !from.config().hairpinning()) {
                return drop(DropReason.HAIRPIN_DISABLED);
            }
            src = translated;
        }
        Host pub = publicHosts.get(dst.getAddress());
        if (pub != null) {
            return toSocket(pub, src, dst, f.payload);
        }
        NatBox nat = nats.get(dst.getAddress());
        if (nat == null) {
            return drop(DropReason.NO_ROUTE);
        }
        if (nat.config().udpBlocked()) {
            return drop(DropReason.UDP_BLOCKED);
        }
        return switch (nat.inbound(src, dst.getPort())) {
            case NatBox.Inbound.Refused(DropReason reason) -> drop(reason);
            case NatBox.Inbound.To(InetSocketAddress internal) -> {
                Host h = inside.get(nat).get(internal.getAddress());
                yield h == null ? drop(DropReason.NO_ROUTE) : toSocket(h, src, internal, f.payload);
            }
        };
    }

    private boolean toSocket(Host h, InetSocketAddress src, InetSocketAddress dst, byte[] payload) {
        if (h.udpBlocked()) {
            return drop(DropReason.UDP_BLOCKED);
        }
        UdpSocket s = h.socket(dst);
        if (s == null) {
            return drop(DropReason.NO_SOCKET);
        }
        if (!s.deliver(new Datagram(src, dst, payload))) {
            return drop(DropReason.RECEIVE_QUEUE_FULL);
        }
        delivered++;
        return true;
    }

    private boolean drop(DropReason r) {
        drops.merge(r, 1L, Long::sum);
        return false;
    }

    /** Drop counts by reason (only non-zero). */
    public Map<DropReason, Long> drops() {
        return new EnumMap<>(drops);
    }

    public long drops(DropReason r) {
        return drops.getOrDefault(r, 0L);
    }

    public long sent() {
        return sent;
    }

    public long delivered() {
        return delivered;
    }

    public int inFlight() {
        return queue.size();
    }
}
