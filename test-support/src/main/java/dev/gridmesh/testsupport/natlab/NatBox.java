package dev.gridmesh.testsupport.natlab;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * A NAT router between the internet and an inside network: one public address, hosts inside, a mapping table with
 * the {@link NatConfig}'s mapping, filtering, timeout, hairpinning and port allocation. Mappings expire lazily on
 * lookup, as a timer would, using the network's clock.
 */
public final class NatBox {
    private static final int FIRST_PORT = 1024;
    private static final int SEQUENTIAL_START = 20000;

    /** One entry of the translation table. */
    public record MappingInfo(InetSocketAddress internal, InetSocketAddress external, InetSocketAddress boundTo) {}

    private static final class Mapping {
        final InetSocketAddress internal;
        final InetSocketAddress remoteKey; // null for endpoint-independent; port 0 for address-dependent
        final int externalPort;
        final Set<InetAddress> sentToAddresses = new HashSet<>();
        final Set<InetSocketAddress> sentToEndpoints = new HashSet<>();
        long lastActive;

        Mapping(InetSocketAddress internal, InetSocketAddress remoteKey, int externalPort, long now) {
            this.internal = internal;
            this.remoteKey = remoteKey;
            this.externalPort = externalPort;
            this.lastActive = now;
        }
    }

    private record Key(InetSocketAddress internal, InetSocketAddress remote) {}

    private final Network network;
    private final String name;
    private final InetAddress publicAddress;
    private NatConfig config;
    private final Map<Key, Mapping> byKey = new HashMap<>();
    private final Map<Integer, Mapping> byPort = new HashMap<>();
    private final SplittableRandom random;
    private int sequential = SEQUENTIAL_START;
    private long mappingsCreated;

    NatBox(Network network, String name, InetAddress publicAddress, NatConfig config) {
        this.network = network;
        this.name = name;
        this.publicAddress = publicAddress;
        this.config = config;
        this.random = new SplittableRandom(config.seed());
    }

    public String name() {
        return name;
    }

    public InetAddress publicAddress() {
        return publicAddress;
    }

    public NatConfig config() {
        return config;
    }

    /** Changes behaviour at run time (existing mappings stay). */
    public void reconfigure(NatConfig c) {
        this.config = c;
    }

    /** Adds a host on the inside with the given private address. */
    public Host addHost(String hostName, String privateAddress) {
        return network.addHostBehind(this, hostName, privateAddress);
    }

    /** Forgets every mapping, like {@code conntrack -F} or a router reboot. */
    public void flush() {
        byKey.clear();
        byPort.clear();
    }

    /** Live mappings (expired ones are removed first). */
    public List<MappingInfo> mappings() {
        expireAll();
        return byKey.values().stream()
                .map(m -> new MappingInfo(m.internal, new InetSocketAddress(publicAddress, m.externalPort), m.remoteKey))
                .toList();
    }

    /** Mappings created since the start, including expired and flushed ones. */
    public long mappingsCreated() {
        return mappingsCreated;
    }

    private void expireAll() {
        long now = network.clock().nanos();
        for (Iterator<Mapping> it = byKey.values().iterator(); it.hasNext(); ) {
            Mapping m = it.next();
            if (expired(m, now)) {
                it.remove();
                byPort.remove(m.externalPort);
            }
        }
    }

    private boolean expired(Mapping m, long now) {
        return now - m.lastActive >= config.mappingTimeout().toNanos();
    }

    private InetSocketAddress remoteKey(InetSocketAddress remote) {
        return switch (config.mapping()) {
            case ENDPOINT_INDEPENDENT -> null;
            case ADDRESS_DEPENDENT -> new InetSocketAddress(remote.getAddress(), 0);
            case ADDRESS_AND_PORT_DEPENDENT -> remote;
        };
    }

    /** Translates an outbound packet's source; null when no port is left. */
    InetSocketAddress outbound(InetSocketAddress internal, InetSocketAddress remote) {
        long now = network.clock().nanos();
        Key key = new Key(internal, remoteKey(remote));
        Mapping m = byKey.get(key);
        if (m != null && expired(m, now)) {
            byKey.remove(key);
            byPort.remove(m.externalPort);
            m = null;
        }
        if (m == null) {
            int port = allocatePort(internal.getPort(), now);
            if (port < 0) {
                return null;
            }
            m = new Mapping(internal, key.remote(), port, now);
            byKey.put(key, m);
            byPort.put(port, m);
            mappingsCreated++;
        }
        m.lastActive = now;
        m.sentToAddresses.add(remote.getAddress());
        m.sentToEndpoints.add(remote);
        return new InetSocketAddress(publicAddress, m.externalPort);
    }

    /** Where an inbound packet goes inside, or why not. */
    sealed interface Inbound {
        record To(InetSocketAddress internal) implements Inbound {}

        record Refused(DropReason reason) implements Inbound {}
    }

    Inbound inbound(InetSocketAddress remote, int externalPort) {
        long now = network.clock().nanos();
        Mapping m = byPort.get(externalPort);
        if (m != null && expired(m, now)) {
            byPort.remove(externalPort);
            byKey.values().remove(m);
            m = null;
        }
        if (m == null) {
            return new Inbound.Refused(DropReason.NAT_NO_MAPPING);
        }
        boolean allowed = switch (config.filtering()) {
            case ENDPOINT_INDEPENDENT -> true;
            case ADDRESS_DEPENDENT -> m.sentToAddresses.contains(remote.getAddress());
            case ADDRESS_AND_PORT_DEPENDENT -> m.sentToEndpoints.contains(remote);
        };
        if (!allowed) {
            return new Inbound.Refused(DropReason.NAT_FILTERED);
        }
        if (config.refreshOnInbound()) {
            m.lastActive = now;
        }
        return new Inbound.To(m.internal);
    }

    private int allocatePort(int internalPort, long now) {
        if (byPort.size() >= 65536 - FIRST_PORT) {
            expireAll();
            if (byPort.size() >= 65536 - FIRST_PORT) {
                return -1;
            }
        }
        return switch (config.portAllocation()) {
            case PRESERVE -> {
                int p = internalPort;
                while (byPort.containsKey(p)) {
                    p = p >= 65535 ? FIRST_PORT : p + 1;
                }
                yield p;
            }
            case SEQUENTIAL -> {
                while (byPort.containsKey(sequential)) {
                    sequential = sequential >= 65535 ? FIRST_PORT : sequential + 1;
                }
                int p = sequential;
                sequential = sequential >= 65535 ? FIRST_PORT : sequential + 1;
                yield p;
            }
            case RANDOM -> {
                int p;
                do {
                    p = random.nextInt(FIRST_PORT, 65536);
                } while (byPort.containsKey(p));
                yield p;
            }
        };
    }

    @Override
    public String toString() {
        return "nat " + name + " " + publicAddress.getHostAddress() + " " + config.mapping() + "/" + config.filtering();
    }
}
