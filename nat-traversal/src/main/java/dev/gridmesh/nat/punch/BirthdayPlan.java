package dev.gridmesh.nat.punch;

import static java.util.Objects.requireNonNull;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;

/**
 * Birthday punching between an endpoint-dependent ("hard") NAT and an endpoint-independent one with
 * address-and-port-dependent filtering ("easy"), as in Tailscale's "How NAT traversal works": the hard side cannot
 * tell the easy side its public port toward it (a fresh random one per destination), and the easy side's filter
 * drops everything from ports it has not sent to. So both sides guess at once:
 * <pre>
 *   hard side:  N extra sockets --ping--> easy's endpoint E      (N mappings H:p1..H:pN toward E, dropped at E's filter)
 *   easy side:  its WireGuard socket --ping--> H:random x M      (opens E's filter for those M ports of H)
 *   any H:pi among the M: easy's ping reaches socket i (pong + ping back from socket i), or socket i's ping
 *   passes E's filter: a validated path  socket i <-> E  (hard) /  WireGuard socket <-> H:pi  (easy)
 * </pre>
 * With N = 256 and M = 1024 over 64,512 ports, P(no collision) = (1 - 256/64512)^1024 ~ 1.7 %. Order does not
 * matter while both sides' NAT entries live (unreplied UDP entries last ~30 s on Linux).
 */
public sealed interface BirthdayPlan {

    /** Pings sent by this plan. */
    int budget();

    /**
     * We are the hard side: ping {@code target} (the easy side's public endpoint) from each socket of
     * {@code sockets} (the caller's ids of extra UDP sockets on ephemeral ports, never 0), {@code rounds} times,
     * {@code every} apart.
     */
    record Spray(int[] sockets, InetSocketAddress target, int rounds, Duration every) implements BirthdayPlan {
        public Spray {
            requireNonNull(sockets, "sockets");
            requireNonNull(target, "target");
            requireNonNull(every, "every");
            sockets = sockets.clone();
            for (int s : sockets) {
                if (s == 0) {
                    throw new IllegalArgumentException("sockets: 0 is the main socket (expected: extra sockets)");
                }
            }
            if (rounds < 1 || every.isNegative() || every.isZero()) {
                throw new IllegalArgumentException("rounds: " + rounds + ", every: " + every + " (expected: >= 1, > 0)");
            }
        }

        @Override
        public int budget() {
            return sockets.length * rounds;
        }
    }

    /**
     * We are the easy side: ping {@code probes} distinct random ports (1024..65535) of {@code address} (the hard
     * side's public address) from the main socket, {@code perTick} of them every {@code every}.
     */
    record Scatter(InetAddress address, int probes, int perTick, Duration every) implements BirthdayPlan {
        public Scatter {
            requireNonNull(address, "address");
            requireNonNull(every, "every");
            if (probes < 1 || probes > 65535 - 1024 || perTick < 1 || every.isNegative() || every.isZero()) {
                throw new IllegalArgumentException("probes: " + probes + ", perTick: " + perTick + ", every: " + every
                        + " (expected: 1..64511, >= 1, > 0)");
            }
        }

        @Override
        public int budget() {
            return probes;
        }
    }

    /** 256 sockets, 3 sprays 1 s apart (768 pings). */
    static Spray spray(int[] sockets, InetSocketAddress target) {
        return new Spray(sockets, target, 3, Duration.ofSeconds(1));
    }

    /** 1024 random ports, 64 every 100 ms (1.6 s). */
    static Scatter scatter(InetAddress address) {
        return new Scatter(address, 1024, 64, Duration.ofMillis(100));
    }

    /** Extra sockets the hard side opens. */
    int SPRAY_SOCKETS = 256;
}
