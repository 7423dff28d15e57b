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
 * few random ports (birthday-style). Everything stops at the packet budget or the deadline.
 *
 * <p>Drive it with {@link #start}, {@link #handleDisco}, {@link #handleTimeout}, and drain {@link #pollTransmit()} /
 * {@link #pollEvent()}; sleep until {@link #pollTimeout()}. Not thread-safe.
 */
public final class PunchSession {
    public static final long NO_TIMEOUT = Long.MAX_VALUE;

    public enum State { IDLE, PROBING, DIRECT, FAILED }

    public record Transmit(InetSocketAddress destination, byte[] datagram) {}

    public sealed interface Event {
        /** A pong came back from {@code endpoint}: a working direct path. */
        record PathValidated(InetSocketAddress endpoint, long rttNanos, int probesSent, long elapsedNanos) implements Event {}

        /** Budget or time ran out without a validated path. */
        record GaveUp(int probesSent, long elapsedNanos) implements Event {}
    }

    private record Outstanding(InetSocketAddress endpoint, long sentAt) {}

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
    private int probesSent;

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

    public int probesSent() {
        return probesSent;
    }

    /** Validated endpoints in the order found. */
    public List<InetSocketAddress> validatedPaths() {
        return List.copyOf(validated);
    }

    /** Starts probing the peer's candidates (from its call-me-maybe): the first round goes out at once. */
    public void start(List<InetSocketAddress> peerCandidates, long nowNanos) {
        if (state != State.IDLE) {
            throw new IllegalStateException("already " + state);
        }
        state = State.PROBING;
        startedAt = nowNanos;
        interval = config.interval().toNanos();
        candidates.addAll(peerCandidates);
        planPrediction(peerCandidates);
        round(nowNanos);
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
        TransactionId tx = TransactionId.random(rng);
        outstanding.put(tx, new Outstanding(target, now));
        transmits.add(new Transmit(target, box.seal(peer, new Ping(tx))));
        probesSent++;
        return true;
    }

    /**
     * A disco message from this session's peer (the caller opened it with {@link DiscoBox#open} and routed it by
     * sender key). Pings are answered even before {@link #start} and after the session ends.
     */
    public void handleDisco(InetSocketAddress from, DiscoMessage msg, long nowNanos) {
        switch (msg) {
            case Ping p -> {
                transmits.add(new Transmit(from, box.seal(peer, new Pong(p.transactionId(), from))));
                if (state == State.PROBING && candidates.add(from)) {
                    ping(from, nowNanos); // a peer-reflexive address: try it now, not next round
                }
            }
            case Pong p -> {
                Outstanding o = outstanding.remove(p.transactionId());
                if (o == null || state == State.FAILED) {
                    return;
                }
                // the path is where the pong came from (a NAT may answer from a mapping other than the one pinged)
                if (validated.add(from)) {
                    events.add(new Event.PathValidated(from, nowNanos - o.sentAt(), probesSent, nowNanos - startedAt));
                }
                if (state == State.PROBING) {
                    state = State.DIRECT;
                    nextRound = NO_TIMEOUT;
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
        if (state != State.PROBING || nowNanos - nextRound < 0) {
            return;
        }
        if (nowNanos - startedAt >= config.giveUpAfter().toNanos() || probesSent >= config.probeBudget()) {
            state = State.FAILED;
            nextRound = NO_TIMEOUT;
            outstanding.clear();
            events.add(new Event.GaveUp(probesSent, nowNanos - startedAt));
            return;
        }
        round(nowNanos);
    }

    public long pollTimeout() {
        return nextRound;
    }

    public Transmit pollTransmit() {
        return transmits.poll();
    }

    public Event pollEvent() {
        return events.poll();
    }
}
