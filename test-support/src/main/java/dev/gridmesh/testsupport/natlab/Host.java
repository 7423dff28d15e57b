package dev.gridmesh.testsupport.natlab;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** A machine on the in-memory network: on the internet, or on a {@link NatBox}'s inside. */
public final class Host {
    private final Network network;
    private final String name;
    private final List<InetAddress> addresses;
    private final NatBox nat;
    private final Map<InetSocketAddress, UdpSocket> sockets = new HashMap<>();
    private int nextEphemeral = 40000;
    private boolean udpBlocked;

    Host(Network network, String name, List<InetAddress> addresses, NatBox nat) {
        this.network = network;
        this.name = name;
        this.addresses = List.copyOf(addresses);
        this.nat = nat;
    }

    public String name() {
        return name;
    }

    public Network network() {
        return network;
    }

    /** The first address. */
    public InetAddress address() {
        return addresses.getFirst();
    }

    public List<InetAddress> addresses() {
        return addresses;
    }

    /** The NAT this host sits behind, or null when it is on the internet. */
    public NatBox nat() {
        return nat;
    }

    /** Binds {@code port} (0 = an ephemeral port) on the first address. */
    public UdpSocket bind(int port) {
        return bind(address(), port);
    }

    public UdpSocket bind(InetAddress address, int port) {
        if (!addresses.contains(address)) {
            throw new IllegalArgumentException(name + ": no address " + address.getHostAddress());
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port: " + port + " (expected: 0..65535)");
        }
        int p = port;
        if (p == 0) {
            do {
                p = nextEphemeral++;
            } while (sockets.containsKey(new InetSocketAddress(address, p)));
        }
        InetSocketAddress local = new InetSocketAddress(address, p);
        if (sockets.containsKey(local)) {
            throw new IllegalStateException(name + ": " + local + " already bound");
        }
        UdpSocket s = new UdpSocket(this, local);
        sockets.put(local, s);
        return s;
    }

    /** A host-level firewall that drops all UDP in both directions. */
    public void setUdpBlocked(boolean blocked) {
        this.udpBlocked = blocked;
    }

    boolean udpBlocked() {
        return udpBlocked;
    }

    UdpSocket socket(InetSocketAddress local) {
        return sockets.get(local);
    }

    void unbind(UdpSocket s) {
        sockets.remove(s.localAddress());
    }

    @Override
    public String toString() {
        return name + addresses.stream().map(InetAddress::getHostAddress).toList() + (nat == null ? "" : " behind " + nat.name());
    }
}
