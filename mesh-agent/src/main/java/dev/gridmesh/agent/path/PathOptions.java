package dev.gridmesh.agent.path;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * How the agent looks for direct paths; fixed for the life of the process.
 *
 * @param enabled       false: every peer stays on the relay (no STUN, no disco, no port mapping)
 * @param stunServers   STUN endpoints on the same UDP socket as WireGuard: two (different addresses best, ports at
 *     least) classify the NAT's mapping; one gives the public endpoint only
 * @param portMapping   ask the default gateway for a mapping (PCP, NAT-PMP, UPnP-IGD)
 * @param heartbeat     disco ping interval on a direct path
 * @param fallbackAfter no pong on the direct path for this long: back to the relay
 * @param retryMin      first wait before probing again after a punch gave up (doubles up to {@code retryMax})
 * @param retryMax      longest wait between punch attempts
 * @param rediscover    STUN is asked again this often (a changed public endpoint is re-published)
 */
public record PathOptions(boolean enabled, List<InetSocketAddress> stunServers, boolean portMapping, Duration heartbeat,
        Duration fallbackAfter, Duration retryMin, Duration retryMax, Duration rediscover) {
    public PathOptions {
        stunServers = List.copyOf(stunServers);
        Objects.requireNonNull(heartbeat, "heartbeat");
        Objects.requireNonNull(fallbackAfter, "fallbackAfter");
        if (fallbackAfter.compareTo(heartbeat) <= 0) {
            throw new IllegalArgumentException("fallbackAfter: " + fallbackAfter + " (expected: > heartbeat " + heartbeat + ")");
        }
    }

    /** Heartbeat 1.5 s, fallback after 4 s without a pong, retry 5 s doubling to 60 s, STUN again every 60 s. */
    public static PathOptions defaults(List<InetSocketAddress> stunServers) {
        return new PathOptions(true, stunServers, true, Duration.ofMillis(1500), Duration.ofSeconds(4),
                Duration.ofSeconds(5), Duration.ofSeconds(60), Duration.ofSeconds(60));
    }

    /** Relay only. */
    public static PathOptions disabled() {
        return new PathOptions(false, List.of(), false, Duration.ofMillis(1500), Duration.ofSeconds(4),
                Duration.ofSeconds(5), Duration.ofSeconds(60), Duration.ofSeconds(60));
    }
}
