package dev.gridmesh.agent.tun;

/** Opens and closes a TUN device, printing {@code OPENED name} or {@code ERROR message}: for privilege tests. */
public final class TunOpenMain {
    private TunOpenMain() {
    }

    public static void main(String[] args) {
        try (LinuxTunDevice tun = LinuxTunDevice.open(args[0])) {
            System.out.println("OPENED " + tun.name());
        } catch (TunException e) {
            System.out.println("ERROR " + e.getMessage());
        }
    }
}
