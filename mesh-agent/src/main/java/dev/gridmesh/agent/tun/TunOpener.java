package dev.gridmesh.agent.tun;

/** Creates a TUN device by name: {@code LinuxTunDevice::open} in production, a fake in tests. */
@FunctionalInterface
public interface TunOpener {
    TunDevice open(String name) throws TunException;
}
