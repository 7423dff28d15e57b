package dev.gridmesh.agent.dataplane;

import dev.gridmesh.crypto.NodePrivateKey;
import dev.gridmesh.protocol.net.IpPrefix;
import dev.gridmesh.protocol.wg.WgPeerConfig;
import dev.gridmesh.protocol.wg.WgTimers;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * What a data plane needs to come up: the [Interface] and [Peer] sections of a wg-quick file, already parsed.
 *
 * @param interfaceName TUN interface name, 1-15 characters (e.g. {@code wg0})
 * @param addresses     interface addresses with their prefix length ({@code 100.64.0.1/10}); may be empty
 * @param listenPort    UDP port to bind, 0 = any free port ({@link DataPlane#listenPort()} tells which)
 * @param mtu           interface MTU; 0 means {@link #DEFAULT_MTU}
 * @param timers        null means {@link WgTimers#standard()}
 */
public record DataPlaneConfig(String interfaceName, NodePrivateKey privateKey, List<IpPrefix> addresses,
        int listenPort, int mtu, List<WgPeerConfig> peers, WgTimers timers) {
    /** wg-quick's default for IPv4+IPv6 over a 1500-byte path: 1500 - 40 (IPv6) - 8 (UDP) - 32 (WireGuard). */
    public static final int DEFAULT_MTU = 1420;

    public DataPlaneConfig {
        Objects.requireNonNull(interfaceName, "interfaceName");
        Objects.requireNonNull(privateKey, "privateKey");
        addresses = List.copyOf(addresses);
        peers = List.copyOf(peers);
        if (mtu == 0) {
            mtu = DEFAULT_MTU;
        }
        if (timers == null) {
            timers = WgTimers.standard();
        }
        if (listenPort < 0 || listenPort > 65535) {
            throw new IllegalArgumentException("listenPort: " + listenPort + " (expected: 0..65535)");
        }
        if (mtu < 576 || mtu > 65535 - 80) {
            throw new IllegalArgumentException("mtu: " + mtu + " (expected: 576.." + (65535 - 80) + ")");
        }
        Set<Object> keys = new HashSet<>();
        for (WgPeerConfig p : peers) {
            if (!keys.add(p.publicKey())) {
                throw new IllegalArgumentException("peer " + p.publicKey().shortString() + " is listed twice");
            }
        }
    }

    /** The common case: standard timers, default MTU. */
    public static DataPlaneConfig of(String interfaceName, NodePrivateKey privateKey, List<IpPrefix> addresses,
            int listenPort, List<WgPeerConfig> peers) {
        return new DataPlaneConfig(interfaceName, privateKey, addresses, listenPort, DEFAULT_MTU, peers, null);
    }
}
