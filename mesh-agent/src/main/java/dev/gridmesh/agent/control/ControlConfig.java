package dev.gridmesh.agent.control;

import dev.gridmesh.protocol.relay.Frames;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Settings of the control connection, fixed at start.
 *
 * @param host / port     the relay's TLS address ({@code --server HOST:PORT})
 * @param trust           pinned certificate or CA file
 * @param hostname        the name this node asks for (the relay may adjust it)
 * @param pingInterval    after this long without receiving anything, send a Ping
 * @param deadAfter       after this long without receiving anything, the connection is dead and is closed
 * @param connectTimeout  TCP connect, TLS handshake, and (separately) upgrade plus registration must finish within it
 * @param backoffInitial  first reconnect delay; doubled per failure up to {@code backoffMax}, with jitter
 * @param writeLowWater / writeHighWater  water marks of the TLS channel: relayed datagrams are dropped while above high
 * @param allowEpoll      false forces Netty's NIO transport
 * @param alternates      more relays of the same mesh (relays sharing one etcd, docs/multi-relay.md): when a
 *                        connection attempt fails or a connection ends, the next attempt goes to the next relay of
 *                        {@code host:port, alternates...}, round robin
 */
public record ControlConfig(String host, int port, RelayTrust trust, String hostname, Duration pingInterval,
        Duration deadAfter, Duration connectTimeout, Duration backoffInitial, Duration backoffMax, int writeLowWater,
        int writeHighWater, boolean allowEpoll, List<Server> alternates) {
    public static final int MAX_PAYLOAD = Frames.MAX_PAYLOAD;

    /** A relay's TLS address. */
    public record Server(String host, int port) {
        public Server {
            Objects.requireNonNull(host, "host");
            if (host.isEmpty() || port < 1 || port > 65535) {
                throw new IllegalArgumentException("server: " + host + ":" + port + " (expected: HOST:PORT, port 1..65535)");
            }
        }

        @Override
        public String toString() {
            return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
        }
    }

    public ControlConfig {
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(trust, "trust");
        Objects.requireNonNull(hostname, "hostname");
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port: " + port + " (expected: 1..65535)");
        }
        if (deadAfter.compareTo(pingInterval) <= 0) {
            throw new IllegalArgumentException("deadAfter " + deadAfter + " must exceed pingInterval " + pingInterval);
        }
        alternates = List.copyOf(alternates);
    }

    /** Every relay to try, the first one first. */
    public List<Server> servers() {
        List<Server> all = new ArrayList<>(1 + alternates.size());
        all.add(new Server(host, port));
        all.addAll(alternates);
        return all;
    }

    public ControlConfig withAlternates(List<Server> more) {
        return new ControlConfig(host, port, trust, hostname, pingInterval, deadAfter, connectTimeout, backoffInitial,
                backoffMax, writeLowWater, writeHighWater, allowEpoll, more);
    }

    /** Ping after 5 s of silence, dead after 15 s, 10 s to connect, backoff 0.5 s .. 30 s, 256 KiB / 1 MiB marks. */
    public static ControlConfig of(String host, int port, RelayTrust trust, String hostname) {
        return new ControlConfig(host, port, trust, hostname, Duration.ofSeconds(5), Duration.ofSeconds(15),
                Duration.ofSeconds(10), Duration.ofMillis(500), Backoff.MAX, 256 * 1024, 1024 * 1024, true, List.of());
    }

    public ControlConfig withTimeouts(Duration ping, Duration dead, Duration connect, Duration backoff) {
        return new ControlConfig(host, port, trust, hostname, ping, dead, connect, backoff, backoffMax, writeLowWater,
                writeHighWater, allowEpoll, alternates);
    }
}
