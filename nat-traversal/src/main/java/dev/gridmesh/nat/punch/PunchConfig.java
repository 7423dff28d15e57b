package dev.gridmesh.nat.punch;

import java.time.Duration;

/**
 * Budget and pacing of a {@link PunchSession}.
 *
 * @param interval time between probe rounds at first
 * @param fastRounds rounds at {@code interval} before the interval starts doubling
 * @param maxInterval the interval stops doubling here
 * @param giveUpAfter no validated path by then: the session fails (traffic stays on the relay)
 * @param probeBudget most pings the session may send, in all
 * @param predictionWindow ports tried above the highest port seen for an endpoint-dependent NAT, per round
 * @param randomProbesPerRound extra pings to random ports of an endpoint-dependent NAT's address, per round
 *     (birthday-style: each lands on the peer's unknown mapping with probability 1/64512)
 */
public record PunchConfig(Duration interval, int fastRounds, Duration maxInterval, Duration giveUpAfter, int probeBudget,
        int predictionWindow, int randomProbesPerRound) {
    public PunchConfig {
        if (interval.isNegative() || interval.isZero()) {
            throw new IllegalArgumentException("interval: " + interval + " (expected: > 0)");
        }
        if (probeBudget < 1) {
            throw new IllegalArgumentException("probeBudget: " + probeBudget + " (expected: >= 1)");
        }
        if (predictionWindow < 0 || randomProbesPerRound < 0 || fastRounds < 0) {
            throw new IllegalArgumentException("predictionWindow, randomProbesPerRound, fastRounds: expected >= 0");
        }
    }

    /** 100 ms rounds (5 of them, then doubling to 2 s), give up after 10 s or 256 pings, window 16, 4 random per round. */
    public static PunchConfig defaults() {
        return new PunchConfig(Duration.ofMillis(100), 5, Duration.ofSeconds(2), Duration.ofSeconds(10), 256, 16, 4);
    }
}
