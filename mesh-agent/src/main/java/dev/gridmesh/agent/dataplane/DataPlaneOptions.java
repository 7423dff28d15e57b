package dev.gridmesh.agent.dataplane;

import dev.gridmesh.agent.route.CommandRunner;
import dev.gridmesh.agent.route.ProcessCommandRunner;
import dev.gridmesh.agent.tun.LinuxTunDevice;
import dev.gridmesh.agent.tun.TunOpener;
import java.net.InetAddress;
import java.util.Objects;

/**
 * How a data plane reaches the OS; {@link #system()} in production, fakes in tests.
 *
 * @param tunOpener     creates the TUN device
 * @param commandRunner runs {@code ip} to configure the interface; null = leave the OS alone (fake TUN)
 * @param bindAddress   UDP bind address, null = wildcard (dual-stack)
 * @param allowEpoll    false forces Netty's NIO transport
 * @param udpGso        coalesce equal-sized datagrams to one endpoint into UDP GSO sends when the kernel can
 */
public record DataPlaneOptions(TunOpener tunOpener, CommandRunner commandRunner, InetAddress bindAddress,
        boolean allowEpoll, boolean udpGso) {
    public DataPlaneOptions {
        Objects.requireNonNull(tunOpener, "tunOpener");
    }

    /** Real TUN, real {@code ip}, wildcard bind, epoll and GSO when available. */
    public static DataPlaneOptions system() {
        return new DataPlaneOptions(LinuxTunDevice::open, new ProcessCommandRunner(), null, true, true);
    }

    /** A given TUN (usually a fake), no OS configuration, UDP on loopback. */
    public static DataPlaneOptions withTun(TunOpener tunOpener) {
        return new DataPlaneOptions(tunOpener, null, InetAddress.getLoopbackAddress(), true, true);
    }

    public DataPlaneOptions withEpoll(boolean allow) {
        return new DataPlaneOptions(tunOpener, commandRunner, bindAddress, allow, udpGso);
    }

    public DataPlaneOptions withGso(boolean gso) {
        return new DataPlaneOptions(tunOpener, commandRunner, bindAddress, allowEpoll, gso);
    }
}
