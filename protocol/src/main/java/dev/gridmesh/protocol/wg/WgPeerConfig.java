package dev.gridmesh.protocol.wg;

import dev.gridmesh.crypto.NodePublicKey;
import dev.gridmesh.crypto.PresharedKey;
import dev.gridmesh.protocol.net.IpPrefix;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Objects;

/**
 * One WireGuard peer as configured.
 *
 * @param presharedKey              {@link PresharedKey#NONE} if none
 * @param endpoint                  nullable: unknown until the peer talks to us
 * @param persistentKeepaliveSeconds 0 = off
 */
public record WgPeerConfig(NodePublicKey publicKey, PresharedKey presharedKey, List<IpPrefix> allowedIps,
        InetSocketAddress endpoint, int persistentKeepaliveSeconds) {
    public WgPeerConfig {
        Objects.requireNonNull(publicKey, "publicKey");
        Objects.requireNonNull(presharedKey, "presharedKey");
        allowedIps = List.copyOf(allowedIps);
        if (persistentKeepaliveSeconds < 0 || persistentKeepaliveSeconds > 65535) {
            throw new IllegalArgumentException(
                    "persistentKeepaliveSeconds: " + persistentKeepaliveSeconds + " (expected: 0..65535)");
        }
    }
}
