package dev.gridmesh.agent.wgquick;

import dev.gridmesh.crypto.NodePrivateKey;
import dev.gridmesh.protocol.net.IpPrefix;
import dev.gridmesh.protocol.wg.WgPeerConfig;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * A parsed wg-quick(8) configuration file: the interface and its peers. Immutable.
 *
 * @param file          where it was read from
 * @param interfaceName the file's name without {@code .conf} ({@code wg0.conf} -> {@code wg0})
 * @param addresses     interface addresses with their prefix lengths as written ({@code 100.64.0.2/10})
 * @param listenPort    UDP port, 0 = pick one
 * @param mtu           the TUN device's MTU ({@link #DEFAULT_MTU} unless the file sets one)
 * @param dns           DNS servers and search domains as written; parsed but not applied by gridmesh
 * @param hooks         PreUp/PostUp/PreDown/PostDown commands ({@link WgQuickHooks#NONE} if none)
 */
public record WgQuickConfig(Path file, String interfaceName, NodePrivateKey privateKey, List<IpPrefix> addresses,
        int listenPort, int mtu, List<String> dns, List<WgPeerConfig> peers, WgQuickHooks hooks) {
    /** wg-quick's MTU when it cannot derive one from the route to the endpoints (1500 - 80). */
    public static final int DEFAULT_MTU = 1420;

    public WgQuickConfig {
        Objects.requireNonNull(file, "file");
        Objects.requireNonNull(interfaceName, "interfaceName");
        Objects.requireNonNull(privateKey, "privateKey");
        addresses = List.copyOf(addresses);
        dns = List.copyOf(dns);
        peers = List.copyOf(peers);
        Objects.requireNonNull(hooks, "hooks");
    }

    /** A file without hooks. */
    public WgQuickConfig(Path file, String interfaceName, NodePrivateKey privateKey, List<IpPrefix> addresses,
            int listenPort, int mtu, List<String> dns, List<WgPeerConfig> peers) {
        this(file, interfaceName, privateKey, addresses, listenPort, mtu, dns, peers, WgQuickHooks.NONE);
    }

    @Override
    public String toString() {
        return "WgQuickConfig[" + interfaceName + " from " + file + ", public key " + privateKey.publicKey().toBase64()
                + ", addresses " + addresses.stream().map(IpPrefix::toHostString).toList() + ", listenPort "
                + listenPort + ", mtu " + mtu + ", " + peers.size() + " peer(s)]";
    }
}
