package dev.gridmesh.nat.portmap;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps one UDP port mapping on the gateway for the agent's socket: tries PCP, then NAT-PMP, then UPnP-IGD; asks for
 * external port = internal port; renews at half the granted lifetime (on the {@link PortMapScheduler}); re-creates
 * the mapping when a renewal fails or the gateway lost its state; deletes it on {@link #close()}.
 *
 * <p>{@link #start}, {@link #probe} and {@link #renewNow} block the caller for a bounded time (each protocol is
 * bounded by {@link PortMapperOptions}: PCP/NAT-PMP by the retransmission schedule, UPnP by the HTTP timeout per
 * step). Failures are reported as empty results and counted in {@link #dropCounts()}; nothing is thrown out of the
 * renewal task. Thread-safe (methods are synchronized; the listener is called without the lock).
 */
public final class PortMapper implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(PortMapper.class);
    /** After a failed (re)start, try again after this long. */
    static final Duration RETRY_AFTER_FAILURE = Duration.ofMinutes(1);
    /** Renewals never come sooner than this, whatever lifetime the gateway grants. */
    static final Duration MIN_RENEW_INTERVAL = Duration.ofSeconds(1);

    private final InetAddress gateway;
    private final PortMapperOptions options;
    private final LongSupplier clock;
    private final PortMapScheduler scheduler;
    private final Map<String, Long> counters = new TreeMap<>();
    /** PCP nonces must not be guessable by an off-path attacker (RFC 6887 section 18.1); thread-safe. */
    private final SecureRandom random = new SecureRandom();
    private volatile Consumer<Optional<MappedEndpoint>> listener = e -> { };

    private PcpClient pcp;
    private InetAddress pcpClientAddress;
    private InetAddress upnpClientAddress;
    private PmpClient pmp;
    private UpnpIgdClient upnp;
    private IgdDescription.Service upnpService;
    private MappedEndpoint current;
    private int localPort;
    private PortMapScheduler.Cancellable pendingRenewal;
    private boolean closed;

    /**
     * @param gateway the default gateway (see {@link DefaultGateway#find()})
     * @param clock monotonic nanoseconds ({@code System::nanoTime})
     * @param scheduler where renewals run
     */
    public PortMapper(InetAddress gateway, PortMapperOptions options, LongSupplier clock, PortMapScheduler scheduler) {
        this.gateway = requireNonNull(gateway, "gateway");
        this.options = requireNonNull(options, "options");
        this.clock = requireNonNull(clock, "clock");
        this.scheduler = requireNonNull(scheduler, "scheduler");
    }

    /** Called (without the mapper's lock) each time the mapped endpoint appears, changes or goes away. */
    public void onChange(Consumer<Optional<MappedEndpoint>> listener) {
        this.listener = requireNonNull(listener, "listener");
    }

    /**
     * Maps UDP {@code localPort} with the first protocol that works and schedules its renewal. Empty when no
     * protocol could map (a retry is then scheduled after {@link #RETRY_AFTER_FAILURE}).
     */
    public Optional<MappedEndpoint> start(int localPort) {
        PortMapChecks.port("localPort", localPort);
        Optional<MappedEndpoint> result;
        synchronized (this) {
            requireOpen();
            if (current != null) {
                deleteCurrent();
            }
            this.localPort = localPort;
            result = mapAny();
        }
        notifyListener(result);
        return result;
    }

    /** The current mapping, if any. */
    public synchronized Optional<MappedEndpoint> mapped() {
        return Optional.ofNullable(current);
    }

    /**
     * Renews now (what the scheduled renewal does): the same protocol again, or every protocol from the start when
     * that fails. Returns the mapping afterwards.
     */
    public Optional<MappedEndpoint> renewNow() {
        Optional<MappedEndpoint> before;
        Optional<MappedEndpoint> after;
        synchronized (this) {
            if (closed || localPort == 0) {
                return Optional.empty();
            }
            before = Optional.ofNullable(current);
            after = Optional.empty();
            if (current != null) {
                count("renew");
                after = mapWith(current.protocol(), current.external().getPort());
                if (after.isEmpty()) {
                    count("renew_failed");
                    log.info("port mapping: renewal with {} failed; trying every protocol", current.protocol());
                }
            }
            if (after.isEmpty()) {
                current = null;
                after = mapAny();
            } else {
                current = after.get();
                scheduleRenewal(current);
            }
        }
        if (!sameEndpoint(before, after)) {
            notifyListener(after);
        }
        return after;
    }

    private static boolean sameEndpoint(Optional<MappedEndpoint> a, Optional<MappedEndpoint> b) {
        return a.isPresent() == b.isPresent()
                && (a.isEmpty() || (a.get().protocol() == b.get().protocol()
                        && a.get().external().equals(b.get().external())));
    }

    /**
     * Asks the gateway which protocols it offers (PCP ANNOUNCE, NAT-PMP external address, UPnP discovery and
     * GetExternalIPAddress), all three at once; bounded. Does not change the mapping.
     */
    public PortMapProbe probe() {
        requireOpen();
        Map<PortMapProtocol, String> notes = new EnumMap<>(PortMapProtocol.class);
        Set<PortMapProtocol> available = EnumSet.noneOf(PortMapProtocol.class);
        InetAddress external = null;
        try (ExecutorService ex = Executors.newVirtualThreadPerTaskExecutor()) {
            Map<PortMapProtocol, Future<ProbeAnswer>> futures = new EnumMap<>(PortMapProtocol.class);
            for (PortMapProtocol p : options.protocols()) {
                Callable<ProbeAnswer> task = switch (p) {
                    case PCP -> this::probePcp;
                    case NAT_PMP -> this::probePmp;
                    case UPNP_IGD -> this::probeUpnp;
                };
                futures.put(p, ex.submit(task));
            }
            for (var e : futures.entrySet()) {
                ProbeAnswer a;
                try {
                    a = e.getValue().get();
                } catch (ExecutionException ee) {
                    a = new ProbeAnswer(false, null, "error: " + ee.getCause());
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    a = new ProbeAnswer(false, null, "interrupted");
                }
                if (a.ok()) {
                    available.add(e.getKey());
                    if (external == null && a.external() != null) {
                        external = a.external();
                    }
                }
                notes.put(e.getKey(), a.note());
            }
        }
        return new PortMapProbe(available, Optional.ofNullable(external), notes);
    }

    private record ProbeAnswer(boolean ok, InetAddress external, String note) { }

    private ProbeAnswer probePcp() throws IOException {
        try (GatewayUdp udp = new GatewayUdp(new InetSocketAddress(gateway, options.pcpPort()))) {
            PcpClient c = new PcpClient(udp.server(), udp.localAddress(), options, random);
            c.startProbe(clock.getAsLong());
            GatewayEvent e = udp.run(c, clock, udpBound(), new boolean[1]);
            return switch (e) {
                case GatewayEvent.Answered a -> new ProbeAnswer(true, null, "epoch " + a.epochSeconds());
                case null -> new ProbeAnswer(false, null, "no answer");
                default -> new ProbeAnswer(false, null, describe(e));
            };
        }
    }

    private ProbeAnswer probePmp() throws IOException {
        try (GatewayUdp udp = new GatewayUdp(new InetSocketAddress(gateway, options.pcpPort()))) {
            PmpClient c = new PmpClient(udp.server(), options);
            c.startProbe(clock.getAsLong());
            GatewayEvent e = udp.run(c, clock, udpBound(), new boolean[1]);
            return switch (e) {
                case GatewayEvent.Answered a -> new ProbeAnswer(true, a.externalAddress(), "epoch " + a.epochSeconds());
                case null -> new ProbeAnswer(false, null, "no answer");
                default -> new ProbeAnswer(false, null, describe(e));
            };
        }
    }

    private ProbeAnswer probeUpnp() throws IOException, InterruptedException {
        UpnpIgdClient c = new UpnpIgdClient(gateway, localAddress(), options);
        Optional<IgdDescription.Service> s = c.discover();
        if (s.isEmpty()) {
            return new ProbeAnswer(false, null, "no IGD found" + (c.dropCounts().isEmpty() ? "" : " " + c.dropCounts()));
        }
        Optional<InetAddress> ext = c.externalAddress(s.get());
        return new ProbeAnswer(true, ext.orElse(null), s.get().serviceType());
    }

    private static String describe(GatewayEvent e) {
        return switch (e) {
            case GatewayEvent.Refused r -> "refused: " + r.code();
            case GatewayEvent.NotSupported n -> "not supported: " + n.why();
            case GatewayEvent.TimedOut t -> "no answer after " + t.attempts() + " attempts";
            default -> e.toString();
        };
    }

    /** Counters: renewals, failures, drops by reason (all protocols). */
    public synchronized Map<String, Long> dropCounts() {
        Map<String, Long> all = new TreeMap<>(counters);
        if (pcp != null) {
            pcp.dropCounts().forEach((k, v) -> all.merge("pcp_" + k, v, Long::sum));
        }
        if (pmp != null) {
            pmp.dropCounts().forEach((k, v) -> all.merge("natpmp_" + k, v, Long::sum));
        }
        if (upnp != null) {
            upnp.dropCounts().forEach((k, v) -> all.merge(k, v, Long::sum));
        }
        return all;
    }

    /** Cancels renewals and deletes the mapping (bounded, best effort). Idempotent. */
    @Override
    public void close() {
        boolean had;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            if (pendingRenewal != null) {
                pendingRenewal.cancel();
                pendingRenewal = null;
            }
            had = current != null;
            if (had) {
                deleteCurrent();
            }
        }
        if (had) {
            notifyListener(Optional.empty());
        }
    }

    // ---- internals (called with the lock held) ----

    private Optional<MappedEndpoint> mapAny() {
        for (PortMapProtocol p : List.of(PortMapProtocol.PCP, PortMapProtocol.NAT_PMP, PortMapProtocol.UPNP_IGD)) {
            if (!options.protocols().contains(p)) {
                continue;
            }
            Optional<MappedEndpoint> r = mapWith(p, localPort);
            if (r.isPresent()) {
                current = r.get();
                log.info("port mapping: {} maps {} to local port {} for {} s", p, current.external(), localPort,
                        current.lifetimeSeconds());
                scheduleRenewal(current);
                return r;
            }
        }
        count("map_failed_all");
        current = null;
        schedule(RETRY_AFTER_FAILURE);
        return Optional.empty();
    }

    private Optional<MappedEndpoint> mapWith(PortMapProtocol p, int preferredExternal) {
        try {
            return switch (p) {
                case PCP -> mapUdp(p, preferredExternal);
                case NAT_PMP -> mapUdp(p, preferredExternal);
                case UPNP_IGD -> mapUpnp(preferredExternal);
            };
        } catch (IOException e) {
            count(p.name().toLowerCase() + "_io_error");
            log.debug("port mapping: {}: {}", p, e.toString());
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
    }

    private Optional<MappedEndpoint> mapUdp(PortMapProtocol p, int preferredExternal) throws IOException {
        try (GatewayUdp udp = new GatewayUdp(new InetSocketAddress(gateway, options.pcpPort()))) {
            InetAddress local = udp.localAddress();
            if (p == PortMapProtocol.PCP && pcp != null && !local.equals(pcpClientAddress)) {
                // our address changed (DHCP, another interface): the old nonce and client address are useless
                retire("pcp_", pcp.dropCounts());
                pcp = null;
                count("local_address_changed");
            }
            for (int round = 0; round < 2; round++) {
                GatewayUdpEngine engine;
                long now = clock.getAsLong();
                if (p == PortMapProtocol.PCP) {
                    if (pcp == null) {
                        pcp = new PcpClient(udp.server(), local, options, random);
                        pcpClientAddress = local;
                    }
                    pcp.startMap(localPort, preferredExternal, options.lifetime().toSeconds(), now);
                    engine = pcp;
                } else {
                    if (pmp == null) {
                        pmp = new PmpClient(udp.server(), options);
                    }
                    pmp.startMap(localPort, preferredExternal, options.lifetime().toSeconds(), now);
                    engine = pmp;
                }
                boolean[] lost = new boolean[1];
                GatewayEvent e = udp.run(engine, clock, udpBound(), lost);
                if (lost[0]) {
                    count(p.name().toLowerCase() + "_state_lost");
                }
                if (e instanceof GatewayEvent.Mapped m && m.externalAddress() != null) {
                    return Optional.of(new MappedEndpoint(p, new InetSocketAddress(m.externalAddress(),
                            m.externalPort()), localPort, m.lifetimeSeconds(), clock.getAsLong()));
                }
                if (e instanceof GatewayEvent.Mapped && round == 0) {
                    // NAT-PMP after a gateway restart: the engine forgot the external address; ask again
                    continue;
                }
                count(p.name().toLowerCase() + "_"
                        + (e == null ? "no_answer" : e.getClass().getSimpleName().toLowerCase()));
                log.debug("port mapping: {} did not map: {}", p, e == null ? "no answer" : describe(e));
                break;
            }
            return Optional.empty();
        }
    }

    /** Keeps the drop counts of an engine or client that is being replaced. */
    private void retire(String prefix, Map<String, Long> drops) {
        drops.forEach((k, v) -> counters.merge(prefix + k, v, Long::sum));
    }

    private Optional<MappedEndpoint> mapUpnp(int preferredExternal) throws IOException, InterruptedException {
        InetAddress local = localAddress();
        if (upnp != null && !local.equals(upnpClientAddress)) {
            retire("", upnp.dropCounts());
            upnp = null;
            upnpService = null;
            count("local_address_changed");
        }
        if (upnp == null) {
            upnp = new UpnpIgdClient(gateway, local, options);
            upnpClientAddress = local;
        }
        if (upnpService == null) {
            upnpService = upnp.discover().orElse(null);
            if (upnpService == null) {
                count("upnp_not_found");
                return Optional.empty();
            }
        }
        Optional<InetAddress> ext = upnp.externalAddress(upnpService);
        if (ext.isEmpty()) {
            count("upnp_no_external_address");
            upnpService = null; // rediscover next time: the gateway may have restarted on another port
            return Optional.empty();
        }
        String client = local.getHostAddress();
        long lease = options.lifetime().toSeconds();
        int external = preferredExternal;
        for (int attempt = 0; attempt < 4; attempt++) {
            Optional<IgdSoap.Result> r = upnp.call(upnpService, "AddPortMapping",
                    IgdSoap.addPortMappingArgs(external, localPort, client, options.description(), lease));
            if (r.isEmpty()) {
                upnpService = null;
                return Optional.empty();
            }
            switch (r.get()) {
                case IgdSoap.Result.Success s -> {
                    return Optional.of(new MappedEndpoint(PortMapProtocol.UPNP_IGD,
                            new InetSocketAddress(ext.get(), external), localPort, lease, clock.getAsLong()));
                }
                case IgdSoap.Result.Fault f when f.errorCode() == IgdSoap.ERR_ONLY_PERMANENT_LEASES -> {
                    if (lease == 0) {
                        count("upnp_fault_725");
                        return Optional.empty();
                    }
                    lease = 0; // an IGD v1 that only does permanent leases: we still renew and delete it
                }
                case IgdSoap.Result.Fault f when f.errorCode() == IgdSoap.ERR_CONFLICT_IN_MAPPING -> {
                    if (upnpService.version() >= 2) {
                        Optional<IgdSoap.Result> any = upnp.call(upnpService, "AddAnyPortMapping",
                                IgdSoap.addPortMappingArgs(external, localPort, client, options.description(), lease));
                        if (any.isPresent() && any.get() instanceof IgdSoap.Result.Success s) {
                            try {
                                int reserved = Integer.parseInt(s.values().getOrDefault("NewReservedPort", ""));
                                PortMapChecks.port("NewReservedPort", reserved);
                                return Optional.of(new MappedEndpoint(PortMapProtocol.UPNP_IGD,
                                        new InetSocketAddress(ext.get(), reserved), localPort, lease,
                                        clock.getAsLong()));
                            } catch (IllegalArgumentException e) {
                                count("upnp_bad_reserved_port");
                                return Optional.empty();
                            }
                        }
                    }
                    external = 1024 + random.nextInt(65535 - 1024);
                }
                case IgdSoap.Result.Fault f -> {
                    count("upnp_fault_" + f.errorCode());
                    log.debug("port mapping: UPnP AddPortMapping fault {} {}", f.errorCode(), f.description());
                    return Optional.empty();
                }
            }
        }
        count("upnp_gave_up");
        return Optional.empty();
    }

    private void deleteCurrent() {
        MappedEndpoint m = current;
        current = null;
        try {
            switch (m.protocol()) {
                case PCP, NAT_PMP -> {
                    try (GatewayUdp udp = new GatewayUdp(new InetSocketAddress(gateway, options.pcpPort()))) {
                        GatewayUdpEngine engine;
                        if (m.protocol() == PortMapProtocol.PCP) {
                            pcp.startDelete(m.internalPort(), clock.getAsLong());
                            engine = pcp;
                        } else {
                            pmp.startDelete(m.internalPort(), clock.getAsLong());
                            engine = pmp;
                        }
                        GatewayEvent e = udp.run(engine, clock, udpBound(), new boolean[1]);
                        count(e instanceof GatewayEvent.Deleted ? "deleted" : "delete_failed");
                    }
                }
                case UPNP_IGD -> {
                    Optional<IgdSoap.Result> r = upnpService == null ? Optional.empty()
                            : upnp.call(upnpService, "DeletePortMapping",
                                    IgdSoap.deletePortMappingArgs(m.external().getPort()));
                    count(r.isPresent() && r.get() instanceof IgdSoap.Result.Success ? "deleted" : "delete_failed");
                }
            }
        } catch (IOException e) {
            count("delete_failed");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            count("delete_failed");
        }
    }

    private void scheduleRenewal(MappedEndpoint m) {
        long lifetime = m.lifetimeSeconds() == 0 ? options.lifetime().toSeconds() : m.lifetimeSeconds();
        Duration half = Duration.ofSeconds(lifetime).dividedBy(2);
        schedule(half.compareTo(MIN_RENEW_INTERVAL) < 0 ? MIN_RENEW_INTERVAL : half);
    }

    private void schedule(Duration delay) {
        if (pendingRenewal != null) {
            pendingRenewal.cancel();
        }
        if (closed) {
            return;
        }
        pendingRenewal = scheduler.schedule(delay, this::renewTask);
    }

    private void renewTask() {
        try {
            renewNow();
        } catch (RuntimeException e) {
            // never let a renewal kill the scheduler thread; try again later
            count("renew_error");
            log.warn("port mapping: renewal failed: {}", e.toString());
            synchronized (this) {
                schedule(RETRY_AFTER_FAILURE);
            }
        }
    }

    private Duration udpBound() {
        // the engine gives up first (sum of the doubling timeouts); this is only a safety bound
        return options.initialRto().multipliedBy((1L << options.maxAttempts()) + 1);
    }

    private InetAddress localAddress() throws IOException {
        try (GatewayUdp udp = new GatewayUdp(new InetSocketAddress(gateway, options.pcpPort()))) {
            return udp.localAddress();
        }
    }

    private void requireOpen() {
        if (closed) {
            throw new IllegalStateException("port mapper is closed");
        }
    }

    private synchronized void count(String what) {
        counters.merge(what, 1L, Long::sum);
    }

    private void notifyListener(Optional<MappedEndpoint> e) {
        try {
            listener.accept(e);
        } catch (RuntimeException ex) {
            log.warn("port mapping: listener failed: {}", ex.toString());
        }
    }
}
