package dev.gridmesh.agent.path;

import dev.gridmesh.nat.classify.MappingBehavior;
import dev.gridmesh.nat.classify.NatProbe;
import dev.gridmesh.nat.classify.NatReport;
import dev.gridmesh.nat.portmap.MappedEndpoint;
import dev.gridmesh.nat.stun.StunClient;
import dev.gridmesh.nat.stun.StunClientConfig;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.random.RandomGenerator;

/**
 * This agent's candidate endpoints for peers, all on the WireGuard UDP socket's port:
 * <pre>
 *   1. the gateway's port mapping (PCP / NAT-PMP / UPnP-IGD), when one is held
 *   2. reflexive addresses from the relay's STUN servers (NatProbe, which also classifies the mapping)
 *   3. local interface addresses (same LAN, no NAT), overlay addresses excluded
 * </pre>
 * Sans-I/O apart from reading the interface list: fed STUN datagrams and {@code nowNanos}, drained with
 * {@link #pollTransmit()}. Not thread-safe (runs on the path manager's thread).
 */
public final class EndpointDiscovery {
    /** Addresses never offered to peers: the overlay range 100.64.0.0/10 (our own TUN). */
    private static final int OVERLAY_PREFIX = 100 << 24 | 64 << 16;

    private final List<InetSocketAddress> servers;
    private final RandomGenerator rng;
    private final int port;
    private NatProbe probe;
    private NatReport report;
    private long reportAtNanos;
    private List<InetSocketAddress> locals = List.of();
    private Optional<MappedEndpoint> mapped = Optional.empty();
    private int runs;

    public EndpointDiscovery(List<InetSocketAddress> servers, int localPort, RandomGenerator rng) {
        this.servers = List.copyOf(servers);
        this.port = localPort;
        this.rng = rng;
    }

    /** Starts a STUN run (a running one is abandoned) and re-reads the interface addresses. */
    public void start(long nowNanos) {
        locals = localEndpoints(port);
        runs++;
        if (servers.isEmpty()) {
            probe = null;
            report = new NatReport(false, MappingBehavior.UNKNOWN, List.of(), false, List.of());
            reportAtNanos = nowNanos;
            return;
        }
        probe = new NatProbe(new StunClient(StunClientConfig.interactive(), rng), servers, Set.copyOf(locals));
        probe.start(nowNanos);
    }

    public boolean running() {
        return probe != null;
    }

    public int runs() {
        return runs;
    }

    /** True when the datagram answered this discovery's STUN; true return + {@link #running()} false = run done. */
    public boolean handleStun(InetSocketAddress from, ByteBuffer datagram, long nowNanos) {
        if (probe == null) {
            return false;
        }
        boolean used = probe.handleDatagram(from, datagram, nowNanos);
        finishIfDone(nowNanos);
        return used;
    }

    /** @return true when a run finished during this call */
    public boolean handleTimeout(long nowNanos) {
        if (probe == null) {
            return false;
        }
        probe.handleTimeout(nowNanos);
        return finishIfDone(nowNanos);
    }

    private boolean finishIfDone(long nowNanos) {
        if (probe != null && probe.isDone()) {
            report = probe.report();
            reportAtNanos = nowNanos;
            probe = null;
            return true;
        }
        return false;
    }

    public StunClient.Transmit pollTransmit() {
        return probe == null ? null : probe.pollTransmit();
    }

    /** The last finished run's classification, if any. */
    public Optional<NatReport> report() {
        return Optional.ofNullable(report);
    }

    public long reportAtNanos() {
        return reportAtNanos;
    }

    public void setMapped(Optional<MappedEndpoint> m) {
        mapped = m;
    }

    public Optional<MappedEndpoint> mapped() {
        return mapped;
    }

    public List<InetSocketAddress> localEndpoints() {
        return locals;
    }

    /** Mapping first, then reflexive, then local endpoints; distinct, at most {@code max}. */
    public List<InetSocketAddress> candidates(int max) {
        Set<InetSocketAddress> all = new LinkedHashSet<>();
        mapped.ifPresent(m -> all.add(m.external()));
        if (report != null) {
            all.addAll(report.publicEndpoints());
        }
        all.addAll(locals);
        List<InetSocketAddress> l = new ArrayList<>(all);
        return l.size() <= max ? l : l.subList(0, max);
    }

    /** IPv4 addresses of interfaces that are up, not loopback, not in the overlay range, with {@code port}. */
    static List<InetSocketAddress> localEndpoints(int port) {
        List<InetSocketAddress> out = new ArrayList<>();
        try {
            for (NetworkInterface ni : Collections.list(NetworkInterface.getNetworkInterfaces())) {
                if (!ni.isUp() || ni.isLoopback()) {
                    continue;
                }
                for (InetAddress a : Collections.list(ni.getInetAddresses())) {
                    if (a instanceof Inet4Address v4 && !isOverlay(v4) && !v4.isLinkLocalAddress()) {
                        out.add(new InetSocketAddress(a, port));
                    }
                }
            }
        } catch (SocketException e) {
            // no interface list: reflexive endpoints only
        }
        return out;
    }

    static boolean isOverlay(Inet4Address a) {
        byte[] b = a.getAddress();
        int v = (b[0] & 0xff) << 24 | (b[1] & 0xff) << 16 | (b[2] & 0xff) << 8 | (b[3] & 0xff);
        return (v & 0xffc00000) == OVERLAY_PREFIX;
    }
}
