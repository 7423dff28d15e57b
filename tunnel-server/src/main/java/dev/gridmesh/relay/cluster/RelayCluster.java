package dev.gridmesh.relay.cluster;

import dev.gridmesh.crypto.NodePublicKey;
import dev.gridmesh.protocol.netty.TlsProvider;
import dev.gridmesh.relay.server.ClusterHooks;
import dev.gridmesh.relay.server.RelayHub;
import dev.gridmesh.relay.store.NodeRecord;
import dev.gridmesh.relay.store.StoreException;
import dev.gridmesh.relay.store.etcd.EtcdKeys;
import dev.gridmesh.relay.store.etcd.EtcdStore;
import dev.gridmesh.relay.tls.RelayCertificate;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.kv.TxnResponse;
import io.etcd.jetcd.lease.LeaseKeepAliveResponse;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.DeleteOption;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.PutOption;
import io.etcd.jetcd.options.WatchOption;
import io.etcd.jetcd.support.CloseableClient;
import io.etcd.jetcd.watch.WatchEvent;
import io.etcd.jetcd.watch.WatchResponse;
import io.grpc.stub.StreamObserver;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Collections;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes relays that share one etcd behave as one mesh (docs/multi-relay.md):
 *
 * <ul>
 *   <li><b>liveness</b>: each relay holds an etcd lease (TTL {@value #LEASE_TTL_SECONDS} s, kept alive) and publishes
 *       {@code relays/<id>} (link address and certificate pin) under it;</li>
 *   <li><b>presence</b>: a node connected here is published as {@code presence/<node key> = <relay id>} under the
 *       same lease, so a relay that dies takes its nodes' presence with it;</li>
 *   <li><b>membership</b>: one watch on the whole prefix feeds the {@link RelayHub}: nodes registered, changed or
 *       removed through another relay, and nodes coming online or going offline there, reach the agents connected
 *       here as peer-map deltas; a removal cuts the node off wherever it is connected; a node that connects to
 *       another relay is closed here as REPLACED;</li>
 *   <li><b>packets</b>: a relayed packet for a node held by another relay goes over a TLS link to that relay
 *       ({@link LinkClient}, {@link LinkServer}, {@link LinkFrames}).</li>
 * </ul>
 *
 * Hub changes from the watch run on the relay's store thread, in watch order, like registrations. Thread-safe.
 */
public final class RelayCluster implements ClusterHooks, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(RelayCluster.class);
    public static final long LEASE_TTL_SECONDS = 5;

    private final String id;
    private final EtcdStore store;
    private final Client client;
    private final EtcdKeys keys;
    private final RelayHub hub;
    private final ExecutorService storeExecutor;
    private final ExecutorService presenceExecutor;
    private final EventLoopGroup group;
    private final ClusterView view = new ClusterView();
    private final ClusterCounters counters = new ClusterCounters();
    private final Map<String, LinkClient> links = new ConcurrentHashMap<>();
    /** Revision of this relay's last presence write per node: older presence events of other relays are stale. */
    private final Map<NodePublicKey, Long> localRevision = new ConcurrentHashMap<>();
    private final Map<NodePublicKey, NodeRecord> records = new ConcurrentHashMap<>(); // watch order
    /** Nodes connected to this relay (their presence is this relay's). */
    private final Map<NodePublicKey, NodeRecord> local = new ConcurrentHashMap<>();
    private volatile byte[] secret;
    private volatile java.util.function.BiConsumer<io.netty.channel.Channel, String> streamAcceptor;
    private volatile long lease;
    private volatile boolean closed;
    private LinkServer server;
    private CloseableClient keepAlive;
    private Watch.Watcher watcher;
    private ClusterView.Relay self;

    private RelayCluster(String id, EtcdStore store, RelayHub hub, ExecutorService storeExecutor) {
        this.id = id;
        this.store = store;
        this.client = store.client();
        this.keys = store.keys();
        this.hub = hub;
        this.storeExecutor = storeExecutor;
        this.presenceExecutor = Executors.newSingleThreadExecutor(r -> Thread.ofPlatform().name("relay-presence").daemon().unstarted(r));
        this.group = new MultiThreadIoEventLoopGroup(1,
                (java.util.concurrent.ThreadFactory) r -> Thread.ofPlatform().name("relay-link").daemon().unstarted(r),
                NioIoHandler.newFactory());
    }

    /**
     * Joins the mesh: binds the link listener, loads the cluster secret (made by the first relay), takes a lease,
     * publishes this relay, reads who holds which node and starts watching. The hub's hooks are set before it returns.
     *
     * @param relayListen the relay's agent address: its host is the default link host
     */
    public static RelayCluster start(EtcdStore store, RelayHub hub, ClusterOptions options, InetSocketAddress relayListen,
                                     RelayCertificate cert, ExecutorService storeExecutor) throws IOException, StoreException {
        byte[] idBytes = new byte[4];
        new SecureRandom().nextBytes(idBytes);
        RelayCluster c = new RelayCluster(HexFormat.of().formatHex(idBytes), store, hub, storeExecutor);
        try {
            c.join(options, relayListen, cert);
            return c;
        } catch (IOException | StoreException | RuntimeException e) {
            c.close();
            throw e;
        }
    }

    private void join(ClusterOptions options, InetSocketAddress relayListen, RelayCertificate cert) throws IOException, StoreException {
        InetSocketAddress listen = options.listen() != null ? options.listen()
                : new InetSocketAddress(relayListen.getAddress(), 0);
        SslContext ssl = TlsProvider.tls13(SslContextBuilder.forServer(cert.key(), cert.chain())).build();
        server = LinkServer.bind(group, listen, ssl, id, () -> secret, hub, counters, () -> streamAcceptor);
        String host = options.advertise() != null ? options.advertise() : advertiseHost(server.localAddress().getAddress());
        self = new ClusterView.Relay(id, host, server.localAddress().getPort(), cert.pin());
        secret = loadSecret();
        lease = store.await(client.getLeaseClient().grant(LEASE_TTL_SECONDS), "grant relay lease").getID();
        keepAlive = client.getLeaseClient().keepAlive(lease, new KeepAlive());
        store.await(client.getKVClient().put(keys.relay(id), ByteSequence.from(self.encode()),
                PutOption.builder().withLeaseId(lease).build()), "publish relay " + id);
        resync();
        hub.hooks(this);
        log.info("relay cluster: joined as relay {} (link {}:{}, lease {}s)", id, self.host(), self.port(), LEASE_TTL_SECONDS);
    }

    /**
     * One snapshot of who is where (relays, nodes, presence at one revision), the hub brought in line with it, then a
     * watch of every change after it, in order. At start, and again when a watch fails for good (etcd compacted the
     * revision it needed, or the relay was cut off): what vanished meanwhile is removed as a DELETE would have.
     */
    private void resync() throws StoreException {
        GetOption prefix = GetOption.builder().isPrefix(true).build();
        TxnResponse snap = store.await(client.getKVClient().txn().Then(
                Op.get(keys.relays(), prefix), Op.get(keys.nodes(), prefix), Op.get(keys.presences(), prefix)).commit(),
                "read cluster state");
        long revision = snap.getHeader().getRevision();
        runOnStore(() -> reconcile(snap.getGetResponses()));
        watcher = client.getWatchClient().watch(EtcdKeys.bs(keys.prefix()),
                WatchOption.builder().isPrefix(true).withPrevKV(true).withRevision(revision + 1).build(),
                Watch.listener(this::onWatch, this::onWatchError));
    }

    /** On the store thread: applies a snapshot, and drops what is no longer in it. */
    private void reconcile(java.util.List<GetResponse> snap) {
        java.util.Set<ByteSequence> present = new java.util.HashSet<>();
        for (GetResponse r : snap) {
            for (KeyValue kv : r.getKvs()) {
                present.add(kv.getKey());
                apply(WatchEvent.EventType.PUT, kv, null);
            }
        }
        for (String rid : java.util.List.copyOf(view.relays.keySet())) {
            if (!present.contains(keys.relay(rid))) {
                view.relays.remove(rid);
                LinkClient l = links.remove(rid);
                if (l != null) {
                    l.close();
                }
            }
        }
        for (NodePublicKey k : java.util.List.copyOf(records.keySet())) {
            if (!present.contains(keys.node(k))) {
                records.remove(k);
                hub.remoteRemoved(k);
            }
        }
        for (NodePublicKey k : java.util.List.copyOf(view.presence.keySet())) {
            if (!present.contains(keys.presence(k)) && !local.containsKey(k)) {
                view.presence.remove(k);
                NodeRecord n = records.get(k);
                if (n != null) {
                    hub.remote(n, false);
                }
            }
        }
    }

    void onWatchError(Throwable e) { // package-private: tests end a watch this way
        if (closed) {
            return;
        }
        log.warn("relay cluster: etcd watch ended ({}); reading the cluster state again", e.toString());
        onPresence(() -> {
            Watch.Watcher w = watcher;
            if (w != null) {
                w.close();
            }
            resync();
        });
    }

    /** The cluster secret (32 random bytes): created by the first relay, the same for all. */
    private byte[] loadSecret() throws StoreException {
        ByteSequence k = EtcdKeys.bs(keys.prefix() + "cluster/secret");
        byte[] fresh = new byte[32];
        new SecureRandom().nextBytes(fresh);
        store.await(client.getKVClient().txn().If(new Cmp(k, Cmp.Op.EQUAL, CmpTarget.version(0)))
                .Then(Op.put(k, ByteSequence.from(HexFormat.of().formatHex(fresh), StandardCharsets.UTF_8), PutOption.DEFAULT))
                .commit(), "create cluster secret");
        var kvs = store.await(client.getKVClient().get(k), "read cluster secret").getKvs();
        if (kvs.isEmpty()) {
            throw new StoreException("cluster secret " + k + " vanished");
        }
        return HexFormat.of().parseHex(kvs.getFirst().getValue().toString(StandardCharsets.UTF_8));
    }

    /** This relay's id (8 hex digits, new at every start). */
    public String id() {
        return id;
    }

    /** Where this relay's link listens, as published. */
    public InetSocketAddress linkAddress() {
        return server.localAddress();
    }

    public ClusterCounters counters() {
        return counters;
    }

    /** The relay holding {@code key} now (this one or another), if any. */
    public Optional<String> holder(NodePublicKey key) {
        return Optional.ofNullable(view.holder(key));
    }

    /** Ids of the relays alive now (this one included). */
    public java.util.Set<String> relays() {
        return java.util.Set.copyOf(view.relays.keySet());
    }

    // ------------------------------------------------------------------ hooks (hub)

    @Override
    public boolean onlineElsewhere(NodePublicKey key) {
        if (local.containsKey(key)) {
            return false; // connected here; a later connection elsewhere shows as a newer presence event
        }
        String h = view.holder(key);
        return h != null && !h.equals(id);
    }

    @Override
    public void online(NodeRecord n) {
        NodePublicKey key = n.nodeKey();
        local.put(key, n);
        // until the write below has its revision, every presence event seen for this node is older than it
        localRevision.put(key, Long.MAX_VALUE);
        onPresence(() -> {
            if (local.get(key) != n) {
                localRevision.remove(key, Long.MAX_VALUE);
                return; // gone again (or connected anew) before this was written
            }
            try {
                var r = store.await(client.getKVClient().put(keys.presence(key), EtcdKeys.bs(id),
                        PutOption.builder().withLeaseId(lease).build()), "publish presence of " + n.name());
                long rev = r.getHeader().getRevision();
                localRevision.put(key, rev);
                view.presence.put(key, new ClusterView.Presence(id, rev));
            } catch (StoreException e) {
                localRevision.remove(key, Long.MAX_VALUE);
                throw e;
            }
        });
    }

    @Override
    public void offline(NodeRecord n) {
        NodePublicKey key = n.nodeKey();
        local.remove(key);
        onPresence(() -> {
            ByteSequence k = keys.presence(key);
            store.await(client.getKVClient().txn().If(new Cmp(k, Cmp.Op.EQUAL, CmpTarget.value(EtcdKeys.bs(id))))
                    .Then(Op.delete(k, DeleteOption.DEFAULT)).commit(), "withdraw presence of " + n.name());
            view.presence.computeIfPresent(key, (kk, p) -> p.relay().equals(id) ? null : p);
        });
    }

    @Override
    public boolean forward(NodePublicKey dst, NodePublicKey src, ByteBuf packet) {
        String holder = view.holder(dst);
        if (holder == null || holder.equals(id)) {
            return false;
        }
        ClusterView.Relay r = view.relays.get(holder);
        if (r == null) {
            return false; // its relay is gone; the presence goes with its lease
        }
        link(r).send(LinkFrames.packet(PooledByteBufAllocator.DEFAULT, src, packet));
        return true;
    }

    /**
     * Where stream links from other relays go (the tunnel service: engineer streams for nodes connected here);
     * until it is set, such links are refused.
     */
    public void acceptStreams(java.util.function.BiConsumer<io.netty.channel.Channel, String> acceptor) {
        streamAcceptor = java.util.Objects.requireNonNull(acceptor, "acceptor");
    }

    @Override
    public String holderElsewhere(NodePublicKey key) {
        if (local.containsKey(key)) {
            return null;
        }
        String h = view.holder(key);
        return h == null || h.equals(id) || !view.relays.containsKey(h) ? null : h;
    }

    @Override
    public java.util.concurrent.CompletableFuture<io.netty.channel.Channel> streamLink(String relayId,
            java.util.function.Consumer<io.netty.channel.Channel> init) {
        ClusterView.Relay r = view.relays.get(relayId);
        byte[] s = secret;
        if (r == null || s == null || closed) {
            counters.streamLinksFailed.increment();
            return java.util.concurrent.CompletableFuture.failedFuture(
                    new IOException("relay " + relayId + " is not a live relay of this mesh"));
        }
        return LinkClient.dialStreams(id, r, s, group, init, counters);
    }

    /** The link to {@code r}, made (and started connecting) if there is none or {@code r} moved. */
    private LinkClient link(ClusterView.Relay r) {
        LinkClient l = links.get(r.id());
        if (l != null && l.peer().equals(r)) {
            return l;
        }
        LinkClient fresh = new LinkClient(id, r, secret, group, counters);
        LinkClient prev = links.put(r.id(), fresh);
        if (prev != null) {
            prev.close();
        }
        fresh.connectIfDue();
        return fresh;
    }

    // ------------------------------------------------------------------ watch

    private void onWatch(WatchResponse r) {
        for (WatchEvent e : r.getEvents()) {
            counters.watchEvents.increment();
            runOnStore(() -> apply(e.getEventType(), e.getKeyValue(), e.getPrevKV()));
        }
    }

    /** One change of the prefix, on the store thread. */
    private void apply(WatchEvent.EventType type, KeyValue kv, KeyValue prev) {
        ByteSequence key = kv.getKey();
        try {
            if (key.startsWith(keys.nodes())) {
                NodePublicKey nk = EtcdKeys.keyFromHex(EtcdKeys.suffix(key, keys.nodes()));
                if (type == WatchEvent.EventType.PUT) {
                    NodeRecord n = decodeNode(kv);
                    records.put(nk, n);
                    hub.remote(n, onlineElsewhere(nk));
                } else if (type == WatchEvent.EventType.DELETE) {
                    records.remove(nk);
                    hub.remoteRemoved(nk);
                }
            } else if (key.startsWith(keys.presences())) {
                NodePublicKey nk = EtcdKeys.keyFromHex(EtcdKeys.suffix(key, keys.presences()));
                if (type == WatchEvent.EventType.PUT) {
                    String holder = kv.getValue().toString(StandardCharsets.UTF_8);
                    long rev = kv.getModRevision();
                    if (holder.equals(id)) {
                        view.presence.put(nk, new ClusterView.Presence(id, rev));
                        return;
                    }
                    Long mine = localRevision.get(nk);
                    if (mine != null && mine > rev) {
                        return; // older than this relay's own later claim (or one being written now)
                    }
                    view.presence.put(nk, new ClusterView.Presence(holder, rev));
                    local.remove(nk); // a connection of it here is older: the hub closes it (REPLACED)
                    NodeRecord n = records.get(nk);
                    if (n != null) {
                        hub.remote(n, true);
                    }
                } else if (type == WatchEvent.EventType.DELETE) {
                    String was = prev == null ? null : prev.getValue().toString(StandardCharsets.UTF_8);
                    view.presence.computeIfPresent(nk, (k, p) -> was == null || p.relay().equals(was) ? null : p);
                    NodeRecord n = records.get(nk);
                    if (n != null && was != null && !was.equals(id) && !onlineElsewhere(nk)) {
                        hub.remote(n, false);
                    }
                }
            } else if (key.startsWith(keys.relays())) {
                String rid = EtcdKeys.suffix(key, keys.relays());
                if (type == WatchEvent.EventType.PUT) {
                    ClusterView.Relay r = ClusterView.Relay.decode(rid, kv.getValue().getBytes());
                    view.relays.put(rid, r);
                    if (!rid.equals(id) && !closed) {
                        link(r); // connect now: the first packets for its nodes need not wait for it
                    }
                } else if (type == WatchEvent.EventType.DELETE) {
                    view.relays.remove(rid);
                    LinkClient l = links.remove(rid);
                    if (l != null) {
                        l.close();
                    }
                    log.info("relay cluster: relay {} left", rid);
                }
            }
        } catch (IOException | IllegalArgumentException e) {
            log.warn("relay cluster: ignored {} {}: {}", type, key, e.getMessage());
        }
    }

    private NodeRecord decodeNode(KeyValue kv) throws IOException {
        return EtcdStore.decodeNode(kv.getValue());
    }

    private void runOnStore(Runnable r) {
        try {
            storeExecutor.execute(r);
        } catch (RejectedExecutionException e) {
            // shutting down
        }
    }

    private interface PresenceCall {
        void run() throws StoreException;
    }

    private void onPresence(PresenceCall c) {
        if (closed) {
            return;
        }
        try {
            presenceExecutor.execute(() -> {
                try {
                    c.run();
                } catch (StoreException e) {
                    log.warn("relay cluster: {}; again in 1 s", e.getMessage());
                    if (!closed) {
                        java.util.concurrent.CompletableFuture.delayedExecutor(1, TimeUnit.SECONDS)
                                .execute(() -> onPresence(c));
                    }
                }
            });
        } catch (RejectedExecutionException e) {
            // shutting down
        }
    }

    /** Keeps the lease; when etcd lost it (relay cut off longer than the TTL), takes a new one and republishes. */
    private final class KeepAlive implements StreamObserver<LeaseKeepAliveResponse> {
        @Override
        public void onNext(LeaseKeepAliveResponse r) {
        }

        @Override
        public void onError(Throwable t) {
            if (!closed) {
                log.warn("relay cluster: lease keep-alive failed ({}); taking a new lease", t.toString());
                onPresence(RelayCluster.this::renewLease);
            }
        }

        @Override
        public void onCompleted() {
        }
    }

    private void renewLease() throws StoreException {
        lease = store.await(client.getLeaseClient().grant(LEASE_TTL_SECONDS), "grant relay lease").getID();
        keepAlive = client.getLeaseClient().keepAlive(lease, new KeepAlive());
        store.await(client.getKVClient().put(keys.relay(id), ByteSequence.from(self.encode()),
                PutOption.builder().withLeaseId(lease).build()), "publish relay " + id);
        for (NodeRecord n : local.values()) {
            online(n);
        }
    }

    // ------------------------------------------------------------------ helpers

    /** The link host to publish: {@code bound} unless it is a wildcard, else this host's first global IPv4 address. */
    static String advertiseHost(InetAddress bound) {
        if (!bound.isAnyLocalAddress()) {
            return bound.getHostAddress();
        }
        try {
            for (NetworkInterface ni : Collections.list(NetworkInterface.getNetworkInterfaces())) {
                if (!ni.isUp() || ni.isLoopback()) {
                    continue;
                }
                for (InetAddress a : Collections.list(ni.getInetAddresses())) {
                    if (a instanceof Inet4Address && !a.isLinkLocalAddress() && !a.isLoopbackAddress()) {
                        return a.getHostAddress();
                    }
                }
            }
        } catch (SocketException e) {
            // fall through
        }
        return InetAddress.getLoopbackAddress().getHostAddress();
    }

    /** Leaves the mesh: revokes the lease (presence and relay record go at once), closes links and the listener. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        hub.hooks(ClusterHooks.NONE);
        if (watcher != null) {
            watcher.close();
        }
        if (keepAlive != null) {
            keepAlive.close();
        }
        presenceExecutor.shutdown();
        try {
            presenceExecutor.awaitTermination(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (lease != 0) {
            try {
                client.getLeaseClient().revoke(lease).get(2, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
                log.debug("relay cluster: revoke lease: {}", e.toString()); // it expires by itself within its TTL
            }
        }
        for (LinkClient l : links.values()) {
            l.close();
        }
        if (server != null) {
            server.close();
        }
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(3, TimeUnit.SECONDS);
    }
}
