package dev.gridmesh.agent.path;

import dev.gridmesh.crypto.NodePrivateKey;
import dev.gridmesh.crypto.NodePublicKey;
import dev.gridmesh.nat.classify.MappingBehavior;
import dev.gridmesh.nat.demux.DatagramDemux;
import dev.gridmesh.nat.demux.DatagramKind;
import dev.gridmesh.nat.disco.DiscoBox;
import dev.gridmesh.nat.disco.DiscoDecoded;
import dev.gridmesh.nat.disco.DiscoMessage;
import dev.gridmesh.nat.portmap.DefaultGateway;
import dev.gridmesh.nat.portmap.MappedEndpoint;
import dev.gridmesh.nat.portmap.PortMapProbe;
import dev.gridmesh.nat.portmap.PortMapScheduler;
import dev.gridmesh.nat.portmap.PortMapper;
import dev.gridmesh.nat.portmap.PortMapperOptions;
import dev.gridmesh.nat.punch.BirthdayPlan;
import dev.gridmesh.nat.punch.PunchConfig;
import dev.gridmesh.nat.punch.PunchSession;
import dev.gridmesh.nat.stun.StunClient;
import dev.gridmesh.nat.stun.TransactionId;
import dev.gridmesh.protocol.relay.PeerInfo;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.random.RandomGenerator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Direct paths for one agent, on its single UDP socket:
 * <pre>
 *   UDP socket (non-WireGuard) --> DatagramDemux --STUN--> EndpointDiscovery (NatProbe)
 *                                                 --DISCO-> DiscoBox.open (node keys) --> PeerLink of the sender
 *   relay PACKET with disco magic --------------------------^  (call-me-maybe, relayed pings for `gridmesh ping`)
 *
 *   per peer:  online -> call-me-maybe via relay + PunchSession (both sides at once)
 *              PathValidated -> PathIo.useDirect (WireGuard session unchanged, only where datagrams go)
 *              heartbeat pings every `heartbeat`; no pong for `fallbackAfter` -> PathIo.useRelay, punch again
 *   birthday:  we endpoint-dependent, peer endpoint-independent (call-me-maybe carries the NAT kinds) ->
 *              256 extra sockets spray pings at the peer (BirthdayPlan.Spray); the path may then be
 *              extra socket <-> peer endpoint (PathIo.useDirect with that socket). The other way round, the peer's
 *              public address gets 1024 pings on random ports from our WireGuard socket (BirthdayPlan.Scatter).
 * </pre>
 * Everything runs on one thread ("gm-path"): datagrams are copied and handed over, a 20 ms tick drives the engines'
 * timers. The protocol engines ({@link PunchSession}, {@link dev.gridmesh.nat.classify.NatProbe}) stay sans-I/O.
 */
public final class PathManager implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(PathManager.class);
    static final long TICK_MILLIS = 20;
    /** A call-me-maybe (or a direct ping) restarts punching at most this often per peer. */
    static final long RESTART_MIN_NANOS = TimeUnit.SECONDS.toNanos(1);
    /** A birthday plan (hundreds of pings) in a traffic-triggered session at most this often per peer. */
    static final long BIRTHDAY_TRAFFIC_MIN_NANOS = TimeUnit.SECONDS.toNanos(30);
    static final long TRAFFIC_CHECK_NANOS = TimeUnit.MILLISECONDS.toNanos(500);
    /** After a STUN run where a server did not answer, the next run comes this soon (doubling to `rediscover`). */
    static final long DISCOVERY_RETRY_MIN_NANOS = TimeUnit.SECONDS.toNanos(2);
    /** A traffic-triggered session is light: 64 pings at most, no random (birthday) probes. */
    static final PunchConfig TRAFFIC_PUNCH = new PunchConfig(java.time.Duration.ofMillis(100), 5,
            java.time.Duration.ofSeconds(2), java.time.Duration.ofSeconds(10), 64, 16, 0);
    static final InetSocketAddress NOWHERE = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);

    /** Datagrams dropped, by reason. */
    public enum Drop { NOT_DISCO_OR_STUN, DISCO_UNOPENED, STUN_UNMATCHED, QUEUE_CLOSED }

    private final PathOptions options;
    private final PathIo io;
    private final DiscoBox box;
    private final RandomGenerator rng = new SecureRandom();
    private final ScheduledExecutorService exec;
    /**
     * The port mapper's renewals and retries: they block on the gateway (a UPnP search waits seconds for answers), so
     * never on the path thread, whose 20 ms tick paces the punch rounds and answers disco.
     */
    private final ScheduledExecutorService portmapExec;
    private final EndpointDiscovery discovery;
    private final Map<NodePublicKey, PeerLink> links = new HashMap<>();
    private final Map<NodePublicKey, PeerPathStatus> published = new ConcurrentHashMap<>();
    private final Map<TransactionId, CompletableFuture<Long>> apiPings = new HashMap<>();
    private final AtomicLongArray drops = new AtomicLongArray(Drop.values().length);
    private final List<CompletableFuture<Void>> discoveryWaiters = new ArrayList<>();
    private final int localPort;
    private volatile PortMapper mapper;
    private volatile PortMapProbe portMapProbe;
    private List<InetSocketAddress> lastPublished = List.of();
    private boolean publishPending;
    private long nextDiscoveryAt;
    private long nextTrafficCheckAt;
    private long discoveryRetryNanos;
    private volatile boolean closed;

    public PathManager(NodePrivateKey key, int localPort, PathOptions options, PathIo io) {
        this.options = options;
        this.io = io;
        this.localPort = localPort;
        this.box = new DiscoBox(key, new SecureRandom());
        this.discovery = new EndpointDiscovery(options.stunServers(), localPort, rng);
        this.exec = Executors.newSingleThreadScheduledExecutor(
                r -> Thread.ofPlatform().name("gm-path").daemon().unstarted(r));
        this.portmapExec = Executors.newSingleThreadScheduledExecutor(
                r -> Thread.ofPlatform().name("gm-portmap-renew").daemon().unstarted(r));
    }

    /** Starts STUN discovery, the tick and (in the background) port mapping. */
    public void start() {
        if (!options.enabled()) {
            return;
        }
        exec.execute(() -> {
            discovery.start(System.nanoTime());
            drainStun();
        });
        exec.scheduleAtFixedRate(this::tick, TICK_MILLIS, TICK_MILLIS, TimeUnit.MILLISECONDS);
        if (options.portMapping()) {
            Thread.ofVirtual().name("gm-portmap").start(this::startPortMapping);
        }
    }

    private void startPortMapping() {
        Optional<? extends InetAddress> gw = DefaultGateway.find();
        if (gw.isEmpty() || closed) {
            return;
        }
        PortMapper m = new PortMapper(gw.get(), PortMapperOptions.defaults(), System::nanoTime,
                PortMapScheduler.of(portmapExec));
        mapper = m;
        m.onChange(ep -> submit(() -> {
            discovery.setMapped(ep);
            log.info("port mapping: {}", ep.map(e -> e.protocol() + " " + e.external()).orElse("none"));
            endpointsChanged();
        }));
        try {
            Optional<MappedEndpoint> ep = m.start(localPort);
            submit(() -> {
                discovery.setMapped(ep);
                ep.ifPresent(e -> log.info("port mapping: {} {}", e.protocol(), e.external()));
                endpointsChanged();
            });
        } catch (RuntimeException e) {
            log.debug("port mapping failed: {}", e.toString());
        }
    }

    // ------------------------------------------------------------------ inputs (any thread)

    /** A non-WireGuard datagram from the UDP socket (copied by the caller). */
    public void onUdp(InetSocketAddress from, byte[] datagram) {
        onUdp(0, from, datagram);
    }

    /** A non-WireGuard datagram from socket {@code socket} (0: the WireGuard socket; copied by the caller). */
    public void onUdp(int socket, InetSocketAddress from, byte[] datagram) {
        submit(() -> handleUdp(socket, from, datagram));
    }

    /** A relayed PACKET payload that starts with the disco magic (copied by the caller). */
    public void onRelayedDisco(byte[] datagram) {
        submit(() -> handleDisco(null, datagram));
    }

    /** The relay's view of a peer changed (or appeared). */
    public void onPeer(PeerInfo p) {
        submit(() -> handlePeer(p));
    }

    public void onPeerRemoved(NodePublicKey k) {
        submit(() -> {
            PeerLink l = links.remove(k);
            published.remove(k);
            if (l != null && l.direct != null) {
                io.useRelay(k);
            }
            if (l != null) {
                l.direct = null;
                closeSockets(l, java.util.Set.of());
            }
        });
    }

    /** (Re-)registered with the relay: publish endpoints again. */
    public void onRegistered() {
        submit(() -> {
            lastPublished = List.of();
            endpointsChanged();
        });
    }

    public static boolean isDisco(byte[] b, int off, int len) {
        return DatagramDemux.classify(b, off, len) == DatagramKind.DISCO;
    }

    // ------------------------------------------------------------------ queries (any thread)

    public PeerPathStatus status(NodePublicKey k) {
        return published.getOrDefault(k, PeerPathStatus.RELAY);
    }

    public Map<String, Long> dropCounts() {
        Map<String, Long> m = new HashMap<>();
        for (Drop d : Drop.values()) {
            if (drops.get(d.ordinal()) > 0) {
                m.put(d.name(), drops.get(d.ordinal()));
            }
        }
        return m;
    }

    /** Runs a fresh STUN classification (bounded by the STUN client's budget) and reports it. */
    public NetcheckResult netcheck(boolean probePortMapping) throws InterruptedException {
        CompletableFuture<Void> done = new CompletableFuture<>();
        submit(() -> {
            discoveryWaiters.add(done);
            if (!discovery.running()) {
                discovery.start(System.nanoTime());
                drainStun();
            }
        });
        try {
            done.get(10, TimeUnit.SECONDS);
        } catch (ExecutionException | TimeoutException e) {
            // report what there is
        }
        PortMapper m = mapper;
        if (probePortMapping && m != null) {
            try {
                portMapProbe = m.probe();
            } catch (RuntimeException e) {
                log.debug("port mapping probe failed: {}", e.toString());
            }
        }
        CompletableFuture<NetcheckResult> r = new CompletableFuture<>();
        submit(() -> r.complete(netcheckNow()));
        try {
            return r.get(5, TimeUnit.SECONDS);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("netcheck: no answer from the path thread");
        }
    }

    private NetcheckResult netcheckNow() {
        var rep = discovery.report();
        PortMapProbe pm = portMapProbe;
        return new NetcheckResult(rep.map(r -> r.udp()).orElse(false),
                rep.map(r -> r.mapping().name()).orElse("UNKNOWN"), rep.map(r -> r.acrossAddresses()).orElse(false),
                rep.map(r -> text(r.publicEndpoints())).orElse(List.of()), text(discovery.localEndpoints()),
                pm == null ? (discovery.mapped().isPresent() ? List.of(discovery.mapped().get().protocol().name())
                        : List.of()) : pm.available().stream().map(Enum::name).sorted().toList(),
                discovery.mapped().map(e -> text(e.external())).orElse(null),
                rep.flatMap(r -> r.bestRtt()).map(d -> d.toNanos() / 1e6).orElse(-1.0),
                text(options.stunServers()), text(discovery.candidates(PeerInfo.MAX_ENDPOINTS)));
    }

    /**
     * One disco ping to {@code peer}: to its direct endpoint when there is one, else through the relay.
     * Blocks up to {@code timeoutMillis}.
     */
    public PingReply ping(NodePublicKey peer, int seq, long timeoutMillis) throws InterruptedException {
        CompletableFuture<Long> pong = new CompletableFuture<>();
        CompletableFuture<InetSocketAddress> via = new CompletableFuture<>();
        long[] sentAt = new long[1];
        submit(() -> {
            PeerLink l = links.get(peer);
            InetSocketAddress ep = l == null ? null : l.direct;
            TransactionId tx = TransactionId.random(rng);
            apiPings.put(tx, pong);
            sentAt[0] = System.nanoTime();
            byte[] d = box.seal(peer, new DiscoMessage.Ping(tx));
            if (ep != null) {
                io.sendUdp(l.directSocket, ep, d);
            } else {
                io.sendRelayed(peer, d);
                if (l != null) {
                    l.wantPunch = true; // someone wants this peer: try for a direct path (rate-limited)
                    l.pingWantsPunch = true;
                }
            }
            via.complete(ep == null ? NOWHERE : ep);
        });
        InetSocketAddress ep;
        try {
            ep = via.get(2, TimeUnit.SECONDS);
        } catch (ExecutionException | TimeoutException e) {
            return new PingReply(seq, "relay", null, -1);
        }
        boolean direct = ep != NOWHERE;
        String path = direct ? "direct" : "relay";
        String endpoint = direct ? text(ep) : null;
        try {
            long at = pong.get(timeoutMillis, TimeUnit.MILLISECONDS);
            return new PingReply(seq, path, endpoint, (at - sentAt[0]) / 1e6);
        } catch (ExecutionException | TimeoutException e) {
            return new PingReply(seq, path, endpoint, -1);
        }
    }

    // ------------------------------------------------------------------ path thread

    private void submit(Runnable r) {
        if (closed) {
            return;
        }
        try {
            exec.execute(() -> {
                try {
                    r.run();
                } catch (RuntimeException e) {
                    log.error("path manager task failed", e);
                }
            });
        } catch (RejectedExecutionException e) {
            drops.incrementAndGet(Drop.QUEUE_CLOSED.ordinal());
        }
    }

    private void handleUdp(int socket, InetSocketAddress from, byte[] d) {
        switch (DatagramDemux.classify(d, 0, d.length)) {
            case STUN -> {
                if (socket != 0) {
                    drops.incrementAndGet(Drop.STUN_UNMATCHED.ordinal());
                    return;
                }
                boolean wasRunning = discovery.running();
                if (!discovery.handleStun(from, ByteBuffer.wrap(d), System.nanoTime())) {
                    drops.incrementAndGet(Drop.STUN_UNMATCHED.ordinal());
                }
                drainStun();
                if (wasRunning && !discovery.running()) {
                    discoveryDone();
                }
            }
            case DISCO -> handleDisco(socket, from, d);
            default -> drops.incrementAndGet(Drop.NOT_DISCO_OR_STUN.ordinal());
        }
    }

    private void drainStun() {
        for (StunClient.Transmit t; (t = discovery.pollTransmit()) != null; ) {
            io.sendUdp(t.destination(), t.datagram());
        }
    }

    private void discoveryDone() {
        long now = System.nanoTime();
        boolean partial = discovery.report().map(r -> !r.udp()
                || r.observations().stream().anyMatch(o -> !o.answered())).orElse(true);
        if (partial) { // a STUN server did not answer (lost datagram, busy host, UDP blocked): ask again soon
            discoveryRetryNanos = discoveryRetryNanos == 0 ? DISCOVERY_RETRY_MIN_NANOS
                    : Math.min(discoveryRetryNanos * 2, options.rediscover().toNanos());
        } else {
            discoveryRetryNanos = 0;
        }
        nextDiscoveryAt = now + (partial ? discoveryRetryNanos : options.rediscover().toNanos());
        discovery.report().ifPresent(r -> log.info("netcheck: udp={} mapping={} public={} rtt={}", r.udp(),
                r.mapping(), r.publicEndpoints(), r.bestRtt().orElse(null)));
        for (CompletableFuture<Void> w : discoveryWaiters) {
            w.complete(null);
        }
        discoveryWaiters.clear();
        endpointsChanged();
    }

    /** Candidates may have changed: publish to the relay and tell peers not on a direct path (call-me-maybe). */
    private void endpointsChanged() {
        List<InetSocketAddress> c = discovery.candidates(PeerInfo.MAX_ENDPOINTS);
        if (c.equals(lastPublished) && !publishPending) {
            return;
        }
        boolean changed = !c.equals(lastPublished);
        publishPending = !io.publishEndpoints(c);
        if (!publishPending) {
            lastPublished = c;
        }
        if (changed) {
            long now = System.nanoTime();
            for (PeerLink l : links.values()) {
                if (l.online && l.direct == null) {
                    if (l.probing()) {
                        callMeMaybe(l);
                    } else {
                        punch(l, now, "endpoints changed");
                    }
                }
            }
        }
    }

    private void handlePeer(PeerInfo p) {
        if (p.nodeKey().equals(box.publicKey())) {
            return;
        }
        boolean known = links.containsKey(p.nodeKey());
        PeerLink l = links.computeIfAbsent(p.nodeKey(), k -> {
            PeerLink n = new PeerLink(k, new PunchBackoff(options.retryMin().toNanos(), options.retryMax().toNanos()));
            n.session = new PunchSession(k, box, rng, PunchConfig.defaults());
            return n;
        });
        l.name = p.name();
        boolean cameOnline = p.online() && !l.online;
        if (cameOnline) {
            l.cmmEndpoints = null; // a new run of the peer: forget its previous call-me-maybe
            // the endpoints that come with the online transition are the relay's record of the previous run
            l.staleMap = known ? p.endpoints() : null;
        }
        if (l.staleMap != null && !l.staleMap.equals(p.endpoints())) {
            l.staleMap = null; // the peer published its endpoints for this run
        }
        List<InetSocketAddress> oldMap = l.mapEndpoints;
        l.mapEndpoints = l.staleMap != null ? List.of() : p.endpoints();
        boolean mapChanged = !cameOnline && p.online() && !l.mapEndpoints.isEmpty()
                && movedOrRemapped(oldMap, l.mapEndpoints, l.peerNat);
        l.refreshCandidates();
        l.online = p.online();
        long now = System.nanoTime();
        if (cameOnline) {
            l.onlineSinceMillis = System.currentTimeMillis();
            l.firstDirectAfterMillis = -1;
            if (options.enabled()) {
                punch(l, now, "peer online");
            }
        } else if (!p.online() && l.direct != null) {
            toRelay(l, now, "peer offline");
        } else if (!p.online()) {
            closeSockets(l, java.util.Set.of());
        } else if (l.probing() && !p.endpoints().isEmpty()) {
            l.session.handleDisco(NOWHERE, new DiscoMessage.CallMeMaybe(p.endpoints()), now);
            drain(l, now);
        } else if (mapChanged && l.direct == null) {
            peerEndpointsChanged(l, now);
        }
        publish(l);
    }

    /**
     * Whether a peer's endpoints changed in a way that is news for punching: another set of addresses (it moved), or
     * another primary (first) endpoint of a peer whose NAT is not endpoint-dependent (e.g. its NAT rebooted). An
     * endpoint-dependent NAT's reflexive ports change at every STUN run (every 60 s): not news.
     */
    static boolean movedOrRemapped(List<InetSocketAddress> before, List<InetSocketAddress> after, MappingBehavior nat) {
        if (before.equals(after)) {
            return false;
        }
        java.util.Set<InetAddress> a = new java.util.HashSet<>();
        java.util.Set<InetAddress> b = new java.util.HashSet<>();
        before.forEach(e -> a.add(e.getAddress()));
        after.forEach(e -> b.add(e.getAddress()));
        if (!a.equals(b)) {
            return true;
        }
        return nat != MappingBehavior.ENDPOINT_DEPENDENT && !before.isEmpty() && !after.isEmpty()
                && !before.getFirst().equals(after.getFirst());
    }

    /** The peer published new endpoints while we are relayed and idle: the backoff starts over, punch soon. */
    private void peerEndpointsChanged(PeerLink l, long now) {
        l.backoff.reset(now);
        if (!options.enabled() || l.probing()) {
            return;
        }
        if (now - l.sessionStartedAt >= RESTART_MIN_NANOS) {
            punch(l, now, "peer endpoints changed");
        } else {
            l.wantPunch = true; // at the next tick the on-demand gate allows
            l.pingWantsPunch = true;
        }
    }

    /**
     * Our NAT kind as peers should treat it: netcheck's mapping behaviour, except that a gateway port mapping counts
     * as no NAT (its endpoint, first in our candidates, takes unsolicited packets from anyone: no birthday needed).
     */
    private MappingBehavior ourNat() {
        if (discovery.mapped().isPresent()) {
            return MappingBehavior.NO_NAT;
        }
        return discovery.report().map(r -> r.mapping()).orElse(MappingBehavior.UNKNOWN);
    }

    /**
     * The birthday plan for a session toward {@code l}, or null: we spray when our NAT is endpoint-dependent and
     * the peer's endpoint-independent; we scatter when it is the other way round (our NAT endpoint-independent:
     * our WireGuard socket's one public endpoint is where the peer's sprays go).
     */
    private BirthdayKind birthdayKind(PeerLink l) {
        MappingBehavior ours = ourNat();
        if (l.cmmEndpoints == null || l.cmmEndpoints.isEmpty()) {
            return BirthdayKind.NONE;
        }
        if (ours == MappingBehavior.ENDPOINT_DEPENDENT && l.peerNat == MappingBehavior.ENDPOINT_INDEPENDENT) {
            return BirthdayKind.SPRAY;
        }
        if (ours == MappingBehavior.ENDPOINT_INDEPENDENT && l.peerNat == MappingBehavior.ENDPOINT_DEPENDENT) {
            return BirthdayKind.SCATTER;
        }
        return BirthdayKind.NONE;
    }

    enum BirthdayKind { NONE, SPRAY, SCATTER }

    private static BirthdayKind kindOf(PunchSession s) {
        return s == null || s.plan() == null ? BirthdayKind.NONE
                : s.plan() instanceof BirthdayPlan.Spray ? BirthdayKind.SPRAY : BirthdayKind.SCATTER;
    }

    /** Builds the plan (opening the extra sockets for a spray); null when none or when no socket could be opened. */
    private BirthdayPlan birthdayPlan(PeerLink l, BirthdayKind kind) {
        if (kind == BirthdayKind.NONE || l.cmmEndpoints == null || l.cmmEndpoints.isEmpty()) {
            return null;
        }
        InetSocketAddress primary = l.cmmEndpoints.getFirst(); // the peer's public endpoint (see CallMeMaybe)
        return switch (kind) {
            case NONE -> null;
            case SCATTER -> BirthdayPlan.scatter(primary.getAddress());
            case SPRAY -> {
                int[] ids = io.openSockets(BirthdayPlan.SPRAY_SOCKETS, this::onUdp);
                for (int id : ids) {
                    l.sockets.add(id);
                }
                yield ids.length == 0 ? null : BirthdayPlan.spray(ids, primary);
            }
        };
    }

    /** Closes the peer's extra sockets except the direct path's and {@code keep}. */
    private void closeSockets(PeerLink l, java.util.Set<Integer> keep) {
        for (var it = l.sockets.iterator(); it.hasNext(); ) {
            int id = it.next();
            if ((l.direct != null && id == l.directSocket) || keep.contains(id)) {
                continue;
            }
            io.closeSocket(id);
            it.remove();
        }
    }

    /** Starts a new punching session toward {@code l}'s candidates and sends it our candidates via the relay. */
    private void punch(PeerLink l, long now, String why) {
        punch(l, now, why, PunchConfig.defaults());
    }

    private void punch(PeerLink l, long now, String why, PunchConfig config) {
        punch(l, now, why, config, true);
    }

    private void punch(PeerLink l, long now, String why, PunchConfig config, boolean birthdayAllowed) {
        if (!options.enabled()) {
            return;
        }
        if (l.session != null) {
            l.probesBefore += l.session.probesSent();
        }
        closeSockets(l, java.util.Set.of()); // the last session's sockets, unless the direct path uses one
        BirthdayKind kind = birthdayAllowed ? birthdayKind(l) : BirthdayKind.NONE;
        BirthdayPlan plan = birthdayPlan(l, kind);
        if (plan != null) {
            l.lastBirthdayAt = now;
            l.birthdaySessions++;
        }
        l.session = new PunchSession(l.key, box, rng, config);
        l.sessionStartedAt = now;
        l.punches++;
        l.backoff.sessionStarted();
        callMeMaybe(l);
        l.session.start(List.copyOf(l.candidates), plan, now);
        log.debug("punch {} ({}): candidates {}{}", l.name, why, l.candidates, plan == null ? ""
                : ", birthday " + kind + " (" + plan.budget() + " pings)");
        drain(l, now);
    }

    private void callMeMaybe(PeerLink l) {
        List<InetSocketAddress> mine = discovery.candidates(DiscoMessage.CallMeMaybe.MAX_ENDPOINTS);
        io.sendRelayed(l.key, box.seal(l.key, new DiscoMessage.CallMeMaybe(mine, ourNat())));
    }

    private void handleDisco(InetSocketAddress from, byte[] d) {
        handleDisco(0, from, d);
    }

    private void handleDisco(int socket, InetSocketAddress from, byte[] d) {
        DiscoDecoded dec = box.open(ByteBuffer.wrap(d), links::containsKey);
        if (!(dec instanceof DiscoDecoded.Ok(NodePublicKey sender, DiscoMessage msg))) {
            drops.incrementAndGet(Drop.DISCO_UNOPENED.ordinal());
            return;
        }
        PeerLink l = links.get(sender);
        long now = System.nanoTime();
        if (from == null) {
            relayedDisco(l, msg, now);
        } else {
            directDisco(l, socket, from, msg, now);
        }
        publish(l);
    }

    private void relayedDisco(PeerLink l, DiscoMessage msg, long now) {
        switch (msg) {
            case DiscoMessage.Ping p -> io.sendRelayed(l.key, box.seal(l.key, new DiscoMessage.Pong(p.transactionId(), NOWHERE)));
            case DiscoMessage.Pong p -> {
                CompletableFuture<Long> f = apiPings.remove(p.transactionId());
                if (f != null) {
                    f.complete(now);
                }
            }
            case DiscoMessage.CallMeMaybe c -> {
                boolean newEndpoints = l.cmmEndpoints != null && movedOrRemapped(l.cmmEndpoints, c.endpoints(), c.nat());
                l.cmmEndpoints = c.endpoints();
                l.peerNat = c.nat();
                l.refreshCandidates();
                if (!options.enabled()) {
                    return;
                }
                if (newEndpoints) {
                    l.backoff.reset(now);
                }
                BirthdayKind want = l.direct == null ? birthdayKind(l) : BirthdayKind.NONE;
                if (want != BirthdayKind.NONE && kindOf(l.session) != want
                        && (l.probing() || now - l.lastBirthdayAt >= RESTART_MIN_NANOS)) {
                    // both sides must guess at the same time: the peer's call-me-maybe is the signal
                    punch(l, now, "call-me-maybe: birthday " + want + " (peer " + c.nat() + ")");
                } else if (l.probing()) {
                    l.session.handleDisco(NOWHERE, c, now);
                    drain(l, now);
                } else if (now - l.sessionStartedAt >= RESTART_MIN_NANOS) {
                    punch(l, now, "call-me-maybe");
                } else {
                    for (InetSocketAddress e : c.endpoints()) { // a session just ended: ping what is new anyway
                        heartbeat(l, 0, e, now);
                    }
                }
            }
        }
    }

    private void directDisco(PeerLink l, int socket, InetSocketAddress from, DiscoMessage msg, long now) {
        switch (msg) {
            case DiscoMessage.Pong p -> {
                CompletableFuture<Long> f = apiPings.remove(p.transactionId());
                if (f != null) {
                    f.complete(now);
                    return;
                }
                Long sent = l.heartbeats.remove(p.transactionId());
                if (sent != null) {
                    l.rttNanos = now - sent;
                    if (l.direct == null) {
                        toDirect(l, from, socket, now, "pong to a ping of a call-me-maybe endpoint");
                    } else if (from.equals(l.direct) && socket == l.directSocket) {
                        l.lastPongAt = now;
                    }
                    return;
                }
                l.session.handleDisco(socket, from, p, now);
                drain(l, now);
            }
            case DiscoMessage.Ping p -> {
                l.session.handleDisco(socket, from, p, now); // answers with a pong to `from`, from `socket`
                drain(l, now);
                if (l.direct == null && !l.probing() && socket != 0) {
                    // a late birthday hit on an extra socket kept after the session: try that path itself (a new
                    // session would close the socket the peer just reached)
                    heartbeat(l, socket, from, now);
                } else if (l.direct == null && !l.probing() && now - l.sessionStartedAt >= RESTART_MIN_NANOS) {
                    punch(l, now, "ping from " + from); // the peer is punching: join in
                }
            }
            case DiscoMessage.CallMeMaybe c -> {
                l.cmmEndpoints = c.endpoints();
                l.refreshCandidates();
            }
        }
    }

    private void drain(PeerLink l, long now) {
        for (PunchSession.Transmit t; (t = l.session.pollTransmit()) != null; ) {
            io.sendUdp(t.socket(), t.destination(), t.datagram());
        }
        for (PunchSession.Event e; (e = l.session.pollEvent()) != null; ) {
            switch (e) {
                case PunchSession.Event.PathValidated v -> {
                    if (l.direct == null) {
                        l.rttNanos = v.rttNanos();
                        toDirect(l, v.endpoint(), v.socket(), now, "validated after " + v.probesSent() + " pings, "
                                + v.elapsedNanos() / 1_000_000 + " ms" + (v.socket() == 0 ? ""
                                : ", extra socket " + v.socket() + " of a birthday spray"));
                    } else if (!v.endpoint().equals(l.direct) && v.rttNanos() * 2 < l.rttNanos) {
                        l.rttNanos = v.rttNanos();
                        toDirect(l, v.endpoint(), v.socket(), now, "better RTT");
                    }
                }
                case PunchSession.Event.GaveUp g -> {
                    l.backoff.gaveUp(now);
                    log.info("peer {}: no direct path after {} pings in {} ms; staying on the relay, retry in {} s",
                            l.name, g.probesSent(), g.elapsedNanos() / 1_000_000, l.backoff.delayNanos() / 1_000_000_000);
                }
            }
        }
        if (!l.sockets.isEmpty() && !l.probing()) {
            // the session is over: keep the sockets the peer reached (its path may use one), close the rest
            closeSockets(l, l.session.socketsHeard());
        }
    }

    private void toDirect(PeerLink l, InetSocketAddress ep, int socket, long now, String why) {
        boolean wasRelay = l.direct == null;
        l.direct = ep;
        l.directSocket = socket;
        l.lastPongAt = now;
        l.nextHeartbeatAt = now + options.heartbeat().toNanos();
        l.backoff.succeeded();
        io.useDirect(l.key, ep, socket);
        if (wasRelay) {
            l.toDirect++;
            l.directSinceMillis = System.currentTimeMillis();
            if (l.firstDirectAfterMillis < 0 && l.onlineSinceMillis > 0) {
                l.firstDirectAfterMillis = l.directSinceMillis - l.onlineSinceMillis;
            }
        }
        log.info("peer {}: direct {}{} (rtt {} us; {})", l.name, ep, socket == 0 ? "" : " via extra socket " + socket,
                l.rttNanos / 1000, why);
    }

    private void toRelay(PeerLink l, long now, String why) {
        l.direct = null;
        l.directSocket = 0;
        l.heartbeats.clear();
        l.toRelay++;
        l.relaySinceMillis = System.currentTimeMillis();
        io.useRelay(l.key);
        closeSockets(l, java.util.Set.of());
        log.info("peer {}: relay ({})", l.name, why);
    }

    private void heartbeat(PeerLink l, int socket, InetSocketAddress to, long now) {
        TransactionId tx = TransactionId.random(rng);
        l.heartbeats.put(tx, now);
        l.probesBefore++;
        io.sendUdp(socket, to, box.seal(l.key, new DiscoMessage.Ping(tx)));
    }

    private void tick() {
        if (closed) {
            return;
        }
        try {
            long now = System.nanoTime();
            if (discovery.handleTimeout(now)) {
                discoveryDone();
            }
            drainStun();
            if (!discovery.running() && nextDiscoveryAt != 0 && now - nextDiscoveryAt >= 0) {
                nextDiscoveryAt = 0;
                discovery.start(now);
                drainStun();
            }
            if (publishPending) {
                endpointsChanged();
            }
            Map<NodePublicKey, Long> tx = null;
            if (now - nextTrafficCheckAt >= 0) {
                nextTrafficCheckAt = now + TRAFFIC_CHECK_NANOS;
                tx = io.txBytes();
            }
            for (PeerLink l : links.values()) {
                if (tx != null) {
                    Long t = tx.get(l.key);
                    if (t != null) {
                        if (l.txSeen >= 0 && t > l.txSeen) {
                            l.wantPunch = true; // traffic for this peer
                        }
                        l.txSeen = t;
                    }
                }
                tickPeer(l, now);
                publish(l);
            }
        } catch (RuntimeException e) {
            log.error("path tick failed", e);
        }
    }

    private void tickPeer(PeerLink l, long now) {
        if (l.session != null) {
            l.session.handleTimeout(now);
            drain(l, now);
        }
        if (l.direct != null) {
            if (now - l.lastPongAt >= options.fallbackAfter().toNanos()) {
                toRelay(l, now, "no pong for " + (now - l.lastPongAt) / 1_000_000 + " ms");
                l.lastFallbackAfterMillis = (now - l.lastPongAt) / 1_000_000;
                if (l.online) {
                    discovery.start(now); // the public endpoint may have changed (NAT state flushed)
                    drainStun();
                    punch(l, now, "fallback");
                }
            } else if (now - l.nextHeartbeatAt >= 0) {
                l.nextHeartbeatAt = now + options.heartbeat().toNanos();
                l.heartbeats.entrySet().removeIf(e -> now - e.getValue() > options.fallbackAfter().toNanos());
                heartbeat(l, l.directSocket, l.direct, now);
            }
        } else if (l.online && l.backoff.retryDue(now)) {
            punch(l, now, "retry");
        } else if (l.online && l.wantPunch && options.enabled() && !l.probing()
                && l.backoff.onDemandAllowed(now, l.sessionStartedAt, l.pingWantsPunch)) {
            // traffic or a ping wants this peer: a light session now, and the backoff of a long outage starts over
            boolean ping = l.pingWantsPunch;
            l.backoff.reset(now);
            punch(l, now, ping ? "ping through the relay" : "traffic for a relayed peer", TRAFFIC_PUNCH,
                    ping || now - l.lastBirthdayAt >= BIRTHDAY_TRAFFIC_MIN_NANOS);
        }
        if (l.direct != null || l.probing()) {
            l.wantPunch = false;
            l.pingWantsPunch = false;
        }
    }

    private void publish(PeerLink l) {
        published.put(l.key, l.snapshot());
    }

    private static String text(InetSocketAddress a) {
        return a.getAddress().getHostAddress() + ":" + a.getPort();
    }

    private static List<String> text(List<InetSocketAddress> l) {
        return l.stream().map(PathManager::text).toList();
    }

    /** Deletes the port mapping (bounded), stops the thread. Idempotent. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        PortMapper m = mapper;
        if (m != null) {
            try {
                m.close();
            } catch (RuntimeException e) {
                log.debug("port mapping close: {}", e.toString());
            }
        }
        portmapExec.shutdownNow();
        exec.shutdownNow();
        try {
            exec.awaitTermination(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (exec.isTerminated()) { // the path thread is gone: its state is ours now
            for (PeerLink l : links.values()) {
                for (int id : l.sockets) {
                    io.closeSocket(id);
                }
                l.sockets.clear();
            }
        }
    }
}
