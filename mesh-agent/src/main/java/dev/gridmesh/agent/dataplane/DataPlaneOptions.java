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
 * @param udpGro        let the kernel coalesce received datagrams (UDP_GRO, epoll only); Netty splits them again
 */
public record DataPlaneOptions(TunOpener tunOpener, CommandRunner commandRunner, InetAddress bindAddress,
        boolean allowEpoll, boolean udpGso, boolean udpGro) {
    public DataPlaneOptions {
        Objects.requireNonNull(tunOpener, "tunOpener");
    }

    /** The original five-component form (kept for existing callers): UDP GRO on. */
    public DataPlaneOptions(TunOpener tunOpener, CommandRunner commandRunner, InetAddress bindAddress,
            boolean allowEpoll, boolean udpGso) {
        this(tunOpener, commandRunner, bindAddress, allowEpoll, udpGso, true);
    }

    /** The real TUN device, with TUN offloads when the kernel has them (see {@link LinuxTunDevice#open(String)}). */
    public static final TunOpener SYSTEM_TUN = LinuxTunDevice::open;

    /** Real TUN, real {@code ip}, wildcard bind, epoll, GSO and GRO when available. */
    public static DataPlaneOptions system() {
        return new DataPlaneOptions(SYSTEM_TUN, new ProcessCommandRunner(), null, true, true, true);
    }

    /**
     * With TUN offloads ({@code IFF_VNET_HDR}, TSO/checksum offload) turned off when {@code off}; only changes the
     * real TUN opener ({@link #SYSTEM_TUN}), fakes are kept.
     */
    public DataPlaneOptions withoutTunOffloads(boolean off) {
        if (!off || tunOpener != SYSTEM_TUN) {
            return this;
        }
        return new DataPlaneOptions(name -> LinuxTunDevice.open(name, false), commandRunner, bindAddress, allowEpoll,
                udpGso, udpGro);
    }

    /** A given TUN (usually a fake), no OS configuration, UDP on loopback. */
    public static DataPlaneOptions withTun(TunOpener tunOpener) {
        return new DataPlaneOptions(tunOpener, null, InetAddress.getLoopbackAddress(), true, true, true);
    }

    public DataPlaneOptions withEpoll(boolean allow) {
        return new DataPlaneOptions(tunOpener, commandRunner, bindAddress, allow, udpGso, udpGro);
    }

    public DataPlaneOptions withGso(boolean gso) {
        return new DataPlaneOptions(tunOpener, commandRunner, bindAddress, allowEpoll, gso, udpGro);
    }

    public DataPlaneOptions withGro(boolean gro) {
        return new DataPlaneOptions(tunOpener, commandRunner, bindAddress, allowEpoll, udpGso, gro);
    }
}
