package dev.gridmesh.nat.disco;

import static java.util.Objects.requireNonNull;

import dev.gridmesh.nat.classify.MappingBehavior;
import dev.gridmesh.nat.stun.TransactionId;
import java.net.InetSocketAddress;
import java.util.List;

/** The plaintext of a disco packet. See {@link DiscoBox} for the wire format. */
public sealed interface DiscoMessage {

    /** Type byte on the wire. */
    int type();

    /** "Are you there on this path?" Answered by a {@link Pong} with the same transaction id, sent back to the source. */
    record Ping(TransactionId transactionId) implements DiscoMessage {
        public Ping {
            requireNonNull(transactionId, "transactionId");
        }

        @Override
        public int type() {
            return 0x01;
        }
    }

    /** The answer to a ping; {@code observedSource} is where the ping came from as the answerer saw it. */
    record Pong(TransactionId transactionId, InetSocketAddress observedSource) implements DiscoMessage {
        public Pong {
            requireNonNull(transactionId, "transactionId");
            requireNonNull(observedSource, "observedSource");
        }

        @Override
        public int type() {
            return 0x02;
        }
    }

    /**
     * Sent through the relay: "these are my endpoints, probe them now while I probe yours" (simultaneous open).
     * {@code nat} is the sender's own NAT mapping behaviour as its netcheck classified it ({@code UNKNOWN} when it
     * has none): an endpoint-dependent side facing an endpoint-independent one punches "birthday style" (extra
     * sockets on one side, random ports on the other), and both must know to do it at the same time. With
     * {@code ENDPOINT_INDEPENDENT} or {@code NO_NAT}, the first endpoint is the one peers reach from outside
     * (port mapping or reflexive address). A sender holding a gateway port mapping says {@code NO_NAT}: its mapped
     * endpoint takes unsolicited packets, so no birthday punching is needed.
     */
    record CallMeMaybe(List<InetSocketAddress> endpoints, MappingBehavior nat) implements DiscoMessage {
        public static final int MAX_ENDPOINTS = 32;

        public CallMeMaybe {
            endpoints = List.copyOf(endpoints);
            requireNonNull(nat, "nat");
            if (endpoints.size() > MAX_ENDPOINTS) {
                throw new IllegalArgumentException("endpoints: " + endpoints.size() + " (expected: <= " + MAX_ENDPOINTS + ")");
            }
        }

        /** Without the sender's NAT kind (UNKNOWN): the pre-birthday wire form. */
        public CallMeMaybe(List<InetSocketAddress> endpoints) {
            this(endpoints, MappingBehavior.UNKNOWN);
        }

        @Override
        public int type() {
            return 0x03;
        }
    }
}
