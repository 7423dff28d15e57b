package dev.gridmesh.nat.punch;

import static java.util.Objects.requireNonNull;

import dev.gridmesh.crypto.NodePublicKey;
import dev.gridmesh.nat.disco.DiscoBox;
import dev.gridmesh.nat.disco.DiscoMessage;
import dev.gridmesh.nat.disco.DiscoMessage.Ping;
import dev.gridmesh.nat.disco.DiscoMessage.Pong;
import dev.gridmesh.nat.stun.TransactionId;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.random.RandomGenerator;

/**
 * Hole punching toward one peer, sans-I/O. Both agents start a session at about the same time, after exchanging
 * their candidates through the relay ({@link DiscoMessage.CallMeMaybe}), and ping each other's candidates in rounds
 * (simultaneous open: each side's outgoing ping opens its own NAT for the other's). A pong to one of our pings
 * validates that path. A ping from the peer is answered with a pong, and its source, if new (a peer-reflexive
 * address, e.g. a fresh mapping of an endpoint-dependent NAT), becomes a candidate pinged at once.
 *
 * <p>Port prediction: when the peer's candidates show one address with several ports, its NAT maps per destination
 * (endpoint-dependent); its mapping toward us is then new and unknown. Sequential allocators put it just above the
 * ports seen, so each round also pings the next {@link PunchConfig#predictionWindow()} ports at that step, plus a
 * few random ports. Everything stops at the packet budget or the deadline.
 *
 * <p>Birthday punching ({@link BirthdayPlan}, started with {@link #start(List, BirthdayPlan, long)}): against a
 * random-port endpoint-dependent NAT, prediction cannot work; the hard side pings from many extra sockets
 * ({@link BirthdayPlan.Spray}) while the easy side pings many random ports ({@link BirthdayPlan.Scatter}). Sockets
 * are the caller's small integer ids: 0 is the main (WireGuard) socket; every {@link Transmit} names the socket to
 * send from, and {@link #handleDisco(int, InetSocketAddress, DiscoMessage, long)} the socket a message came in on.
 * A ping is answered from the socket it arrived on, and a ping on an extra socket is pinged back from it at once.
 * The plan's pings are counted in {@link #probesSent()} but bounded by the plan's own budget, not the config's.
 *
 * <p>Drive it with {@link #start}, {@link #handleDisco}, {@link #handleTimeout}, and drain {@link #pollTransmit()} /
 * {@link #pollEvent()}; sleep until {@link #pollTimeout()}. Not thread-safe.
 */
public final class PunchSession {
    public static final long NO_TIMEOUT = Long.MAX_VALUE;

    public enum State { IDLE, PROBING, DIRECT, FAILED }

    /** A datagram to send from socket {@code socket} (0 = the main socket). */
    public record Transmit(int socket, InetSocketAddress destination, byte[] datagram) {
        public Transmit(InetSocketAddress destination, byte[] datagram) {
            this(0, destination, datagram);
        }
    }

    public sealed interface Event {
        /** A pong came back from {@code endpoint} on socket {@code socket}: a working direct path. */
        record PathValidated(InetSocketAddress endpoint, long rttNanos, int probesSent, long elapsedNanos, int socket)
                implements Event {
            public PathValidated(InetSocketAddress endpoint, long rttNanos, int probesSent, long elapsedNanos) {
                this(endpoint, rttNanos, probesSent, elapsedNanos, 0);
            }
        }

        /** Budget or time ran out without a validated path. */
        record GaveUp(int probesSent, long elapsedNanos) implements Event {}
    }

    private record Outstanding(InetSocketAddress endpoint, long sentAt, int socket) {}

    private final NodePublicKey peer;
    private final DiscoBox box;
    private final RandomGenerator rng;
    private final PunchConfig config;
    private final Set<InetSocketAddress> candidates = new LinkedHashSet<>();
    private final Map<InetAddress, int[]> predicted = new LinkedHashMap<>(); // address -> {next port, step}
    private final Map<TransactionId, Outstanding> outstanding = new HashMap<>();
    private final Set<InetSocketAddress> validated = new LinkedHashSet<>();
    private final ArrayDeque<Transmit> transmits = new ArrayDeque<>();
    private final ArrayDeque<Event> events = new ArrayDeque<>();
    private State state = State.IDLE;
    private long startedAt;
    private long nextRound = NO_TIMEOUT;
    private long interval;
    private int rounds;
    private int probesSent;      // main pings: bounded by config.probeBudget()
    private BirthdayPlan plan;
    private long nextBirthday = NO_TIMEOUT;
    private int birthdayRounds;
    private int birthdayProbes;  // the plan's pings: bounded by plan.budget()
    private final Set<Integer> scattered = new HashSet<>();
    private final Set<Integer> socketsHeard = new LinkedHashSet<>();

    public PunchSession(NodePublicKey peer, DiscoBox box, RandomGenerator rng, PunchConfig config) {
        this.peer = requireNonNull(peer, "peer");
        this.box = requireNonNull(box, "box");
        this.rng = requireNonNull(rng, "rng");
        this.config = requireNonNull(config, "config");
    }

    public NodePublicKey peer() {
        return peer;
    }

    public State state() {
        return state;
    }

    /** All pings sent: candidates, prediction, and the birthday plan's. */
    public int probesSent() {
        return probesSent + birthdayProbes;
    }

    /** Pings sent by the birthday plan (included in {@link #probesSent()}). */
    public int birthdayProbesSent() {
        return birthdayProbes;
    }

    /** The birthday plan, or null. */
    public BirthdayPlan plan() {
        return plan;
    }

    /**
     * Extra sockets (ids != 0) on which a disco message from the peer arrived or a path was validated: the ones
     * worth keeping once the session ends; the others can be closed.
     */
    public Set<Integer> socketsHeard() {
        return Set.copyOf(socketsHeard);
    }

    /** Validated endpoints in the order found. */
    public List<InetSocketAddress> validatedPaths() {
        return List.copyOf(validated);
    }

    /** Starts probing the peer's candidates (from its call-me-maybe): the first round goes out at once. */
    public void start(List<InetSocketAddress> peerCandidates, long nowNanos) {
        start(peerCandidates, null, nowNanos);
    }

    /** As {@link #start(List, long)}, plus a birthday plan (null: none) whose first pings also go out at once. */
    public void start(List<InetSocketAddress> peerCandidates, BirthdayPlan birthday, long nowNanos) {
        if (state != State.IDLE) {
            throw new IllegalStateException("already " + state);
        }
        state = State.PROBING;
        startedAt = nowNanos;
        interval = config.interval().toNanos();
        candidates.addAll(peerCandidates);
        planPrediction(peerCandidates);
        round(nowNanos);
        plan = birthday;
        if (plan != null) {
            birthdayTick(nowNanos);
        }
    }

    private void birthdayTick(long now) {
        switch (plan) {
            case BirthdayPlan.Spray sp -> {
                for (int socket : sp.sockets()) {
                    pingFrom(socket, sp.target(), now);
                    birthdayProbes++;
                }
                birthdayRounds++;
                nextBirthday = birthdayRounds < sp.rounds() ? now + sp.every().toNanos() : NO_TIMEOUT;
            }
            case BirthdayPlan.Scatter sc -> {
                for (int i = 0; i < sc.perTick() && birthdayProbes < sc.probes(); i++) {
                    int port;
                    InetSocketAddress target;
                    do {
                        port = rng.nextInt(1024, 65536);
                        target = new InetSocketAddress(sc.address(), port);
                    } while (!scattered.add(port) || candidates.contains(target));
                    pingFrom(0, target, now);
                    birthdayProbes++;
                }
                nextBirthday = birthdayProbes < sc.probes() ? now + sc.every().toNanos() : NO_TIMEOUT;
            }
        }
    }

    private boolean birthdayDone() {
        return plan == null || nextBirthday == NO_TIMEOUT;
    }

    private void planPrediction(List<InetSocketAddress> peerCandidates) {
        Map<InetAddress, List<Integer>> ports = new LinkedHashMap<>();
        for (InetSocketAddress c : peerCandidates) {
            ports.computeIfAbsent(c.getAddress(), a -> new ArrayList<>()).add(c.getPort());
        }
        ports.forEach((addr, ps) -> {
            if (ps.size() < 2) {
                return;
            }
            List<Integer> sorted = ps.stream().distinct().sorted().toList();
            if (sorted.size() < 2) {
                return;
            }
            int step = Integer.MAX_VALUE;
            for (int i = 1; i < sorted.size(); i++) {
                step = Math.min(step, sorted.get(i) - sorted.get(i - 1));
            }
            step = step > 0 && step <= 16 ? step : 1;
            predicted.put(addr, new int[] {sorted.getLast() + step, step});
        });
    }

    private void round(long now) {
        rounds++;
        for (InetSocketAddress c : candidates) {
            if (!ping(c, now)) {
                break;
            }
        }
        for (Map.Entry<InetAddress, int[]> e : predicted.entrySet()) {
            int[] next = e.getValue();
            for (int i = 0; i < config.predictionWindow(); i++) {
                int port = next[0] + i * next[1];
                if (port > 65535) {
                    break;
                }
                InetSocketAddress target = new InetSocketAddress(e.getKey(), port);
                if (!candidates.contains(target) && !ping(target, now)) {
                    break;
                }
            }
            for (int i = 0; i < config.randomProbesPerRound(); i++) {
                if (!ping(new InetSocketAddress(e.getKey(), rng.nextInt(1024, 65536)), now)) {
                    break;
                }
            }
        }
        if (rounds > config.fastRounds()) {
            interval = Math.min(interval * 2, config.maxInterval().toNanos());
        }
        nextRound = now + interval;
    }

    /** Sends one ping if the budget allows; false when it is spent. */
    private boolean ping(InetSocketAddress target, long now) {
        if (probesSent >= config.probeBudget()) {
            return false;
        }
        pingFrom(0, target, now);
        probesSent++;
        return true;
    }

    private void pingFrom(int socket, InetSocketAddress target, long now) {
        TransactionId tx = TransactionId.random(rng);
        outstanding.put(tx, new Outstanding(target, now, socket));
        transmits.add(new Transmit(socket, target, box.seal(peer, new Ping(tx))));
    }

    /**
     * A disco message from this session's peer (the caller opened it with {@link DiscoBox#open} and routed it by
     * sender key). Pings are answered even before {@link #start} and after the session ends.
     */
    public void handleDisco(InetSocketAddress from, DiscoMessage msg, long nowNanos) {
        handleDisco(0, from, msg, nowNanos);
    }

    /** As {@link #handleDisco(InetSocketAddress, DiscoMessage, long)}, for a message that came in on {@code socket}. */
    public void handleDisco(int socket, InetSocketAddress from, DiscoMessage msg, long nowNanos) {
        if (socket != 0 && !(msg instanceof DiscoMessage.CallMeMaybe)) {
            socketsHeard.add(socket);
        }
        switch (msg) {
            case Ping p -> {
                transmits.add(new Transmit(socket, from, box.seal(peer, new Pong(p.transactionId(), from))));
                if (state == State.PROBING && socket != 0) {
                    pingFrom(socket, from, nowNanos); // a birthday hit: the peer's filter is open for this socket
                    birthdayProbes++;
                } else if (state == State.PROBING && candidates.add(from)) {
                    ping(from, nowNanos); // a peer-reflexive address: try it now, not next round
                }
            }
            case Pong p -> {
                Outstanding o = outstanding.get(p.transactionId());
                if (o == null || state == State.FAILED || o.socket() != socket) {
                    return; // unknown, too late, or on another socket than the ping left (not this path)
                }
                outstanding.remove(p.transactionId());
                // the path is where the pong came from (a NAT may answer from a mapping other than the one pinged)
                if (validated.add(from)) {
                    events.add(new Event.PathValidated(from, nowNanos - o.sentAt(), probesSent(),
                            nowNanos - startedAt, socket));
                }
                if (state == State.PROBING) {
                    state = State.DIRECT;
                    nextRound = NO_TIMEOUT;
                    nextBirthday = NO_TIMEOUT;
                }
            }
            case DiscoMessage.CallMeMaybe c -> {
                for (InetSocketAddress e : c.endpoints()) {
                    if (state == State.PROBING && candidates.add(e)) {
                        ping(e, nowNanos);
                    }
                }
            }
        }
    }

    public void handleTimeout(long nowNanos) {
        if (state != State.PROBING) {
            return;
        }
        if (plan != null && nowNanos - nextBirthday >= 0) {
            birthdayTick(nowNanos);
        }
        if (nowNanos - nextRound < 0) {
            return;
        }
        if (nowNanos - startedAt >= config.giveUpAfter().toNanos()
                || (probesSent >= config.probeBudget() && birthdayDone())) {
            state = State.FAILED;
            nextRound = NO_TIMEOUT;
            nextBirthday = NO_TIMEOUT;
            outstanding.clear();
            events.add(new Event.GaveUp(probesSent(), nowNanos - startedAt));
            return;
        }
        round(nowNanos);
    }

    public long pollTimeout() {
        return Math.min(nextRound, nextBirthday);
    }

    public Transmit pollTransmit() {
        return transmits.poll();
    }

    public Event pollEvent() {
        return events.poll();
    }
}
