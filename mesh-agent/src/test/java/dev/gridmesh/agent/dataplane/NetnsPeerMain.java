package dev.gridmesh.agent.dataplane;

import dev.gridmesh.agent.localapi.LocalApiServer;
import dev.gridmesh.crypto.NodePrivateKey;
import dev.gridmesh.crypto.NodePublicKey;
import dev.gridmesh.crypto.PresharedKey;
import dev.gridmesh.protocol.net.IpPrefix;
import dev.gridmesh.protocol.wg.WgPeerConfig;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CountDownLatch;

/**
 * A one-peer data plane as a process, for the netns test (run with {@code ip netns exec}): brings the interface up
 * with the real TUN and {@code ip}, serves the local API, prints {@code READY <port>} and runs until SIGTERM.
 * <pre>
 *   NetnsPeerMain IFNAME PRIVKEY ADDR/BITS LISTENPORT SOCKET PEERPUB PEER_ALLOWED_IP PEER_ENDPOINT|-
 * </pre>
 */
public final class NetnsPeerMain {
    private NetnsPeerMain() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 8) {
            System.err.println("usage: NetnsPeerMain IFNAME PRIVKEY ADDR/BITS PORT SOCKET PEERPUB PEERALLOWED ENDPOINT|-");
            System.exit(2);
        }
        InetSocketAddress endpoint = null;
        if (!args[7].equals("-")) {
            int colon = args[7].lastIndexOf(':');
            endpoint = new InetSocketAddress(InetAddress.getByAddress(IpPrefix.parseAddress(args[7].substring(0, colon))),
                    Integer.parseInt(args[7].substring(colon + 1)));
        }
        DataPlaneConfig config = DataPlaneConfig.of(args[0], NodePrivateKey.fromBase64(args[1]),
                List.of(IpPrefix.parse(args[2])), Integer.parseInt(args[3]),
                List.of(new WgPeerConfig(NodePublicKey.fromBase64(args[5]), PresharedKey.NONE,
                        List.of(IpPrefix.parse(args[6])), endpoint, 0)));
        // benchmark knobs (test code only): -Dgridmesh.gso=false / -Dgridmesh.gro=false
        DataPlane dp = DataPlane.start(config, DataPlaneOptions.system()
                .withGso(Boolean.parseBoolean(System.getProperty("gridmesh.gso", "true")))
                .withGro(Boolean.parseBoolean(System.getProperty("gridmesh.gro", "true"))));
        LocalApiServer api = LocalApiServer.start(Path.of(args[4]), DataPlaneLocalApi.handlers(dp));
        CountDownLatch done = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(Thread.ofPlatform().unstarted(() -> {
            api.close();
            dp.close();
            System.out.println("DOWN " + dp.status().drops());
            done.countDown();
        }));
        System.out.println("READY " + dp.listenPort());
        System.out.flush();
        done.await();
    }
}
