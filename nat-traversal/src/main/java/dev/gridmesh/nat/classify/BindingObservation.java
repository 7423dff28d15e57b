package dev.gridmesh.nat.classify;

import static java.util.Objects.requireNonNull;

import java.net.InetSocketAddress;

/**
 * What one Binding transaction to one server endpoint found.
 *
 * @param mapped the reflexive address, or null when the server did not answer (or answered with an error)
 * @param rttNanos round-trip time of the answered request; 0 when unanswered
 */
public record BindingObservation(InetSocketAddress server, InetSocketAddress mapped, long rttNanos) {
    public BindingObservation {
        requireNonNull(server, "server");
    }

    public static BindingObservation timedOut(InetSocketAddress server) {
        return new BindingObservation(server, null, 0);
    }

    public boolean answered() {
        return mapped != null;
    }
}
