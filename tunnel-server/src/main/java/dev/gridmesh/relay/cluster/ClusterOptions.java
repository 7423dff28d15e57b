package dev.gridmesh.relay.cluster;

import java.net.InetSocketAddress;

/**
 * How a relay talks to the other relays of its mesh (used only with an etcd store).
 *
 * @param listen TCP address of the relay-to-relay link (TLS); port 0 picks a free one. Null: the relay's
 *     {@code --listen} host, port 0
 * @param advertise the host other relays dial; null: the listen host, or when that is a wildcard the first
 *     non-loopback address of this host
 */
public record ClusterOptions(InetSocketAddress listen, String advertise) {
    public static final ClusterOptions DEFAULT = new ClusterOptions(null, null);
}
