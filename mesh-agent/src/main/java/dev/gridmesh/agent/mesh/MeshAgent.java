package dev.gridmesh.agent.mesh;

import dev.gridmesh.agent.control.ConnectionState;
import dev.gridmesh.agent.control.ControlClient;
import dev.gridmesh.agent.control.ControlListener;
import dev.gridmesh.agent.control.PeerMapTracker;
import dev.gridmesh.agent.control.StateDir;
import dev.gridmesh.agent.control.StateDirException;
import dev.gridmesh.agent.dataplane.DataPlane;
import dev.gridmesh.agent.dataplane.DataPlaneConfig;
import dev.gridmesh.agent.dataplane.DataPlaneException;
import dev.gridmesh.agent.dataplane.DataPlaneLocalApi;
import dev.gridmesh.agent.dataplane.DataPlaneOptions;
import dev.gridmesh.agent.localapi.LocalApiException;
import dev.gridmesh.agent.localapi.LocalApiHandler;
import dev.gridmesh.agent.localapi.LocalApiProtocol;
import dev.gridmesh.agent.localapi.LocalApiServer;
import dev.gridmesh.agent.path.AgentPathIo;
import dev.gridmesh.agent.path.PathApi;
import dev.gridmesh.agent.path.PathManager;
import dev.gridmesh.agent.path.PathOptions;
import dev.gridmesh.agent.path.PeerPathStatus;
import dev.gridmesh.agent.relay.RelayDrop;
import dev.gridmesh.agent.relay.RelayPath;
import dev.gridmesh.agent.route.InterfaceConfigurator;
import dev.gridmesh.agent.route.NetConfigException;
import dev.gridmesh.crypto.NodePrivateKey;
import dev.gridmesh.crypto.NodePublicKey;
import dev.gridmesh.crypto.PresharedKey;
import dev.gridmesh.protocol.net.IpPrefix;
import dev.gridmesh.protocol.relay.ControlMessage;
import dev.gridmesh.protocol.relay.Frames;
import dev.gridmesh.protocol.relay.PeerInfo;
import dev.gridmesh.protocol.wg.WgPeerConfig;
import dev.gridmesh.protocol.wg.WgPeerStatus;
import io.netty.buffer.ByteBuf;
import java.io.IOException;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running mesh agent:
 * <pre>
 *   StateDir (lock, node key) --+
 *   ControlClient (relay TLS) --+-- RegisterOk -> DataPlane up: TUN NAME, overlay IP/10 (the route for the range)
 *                               +-- peer map   -> WgEngine peers: key = node key, allowed IPs = overlay IP/32,
 *                               |                 path RELAY: the data plane's sender for the peer is the RelayPath
 *                               +-- PACKET     -> DataPlane.injectRelayed (engine.decapsulate with no UDP source)
 *   LocalApiServer STATE/agent.sock: status, show, stats
 * </pre>
 * The data plane and its WireGuard sessions live as long as the agent: a lost relay connection only pauses the
 * relayed path (datagrams dropped and counted meanwhile), and the full map on reconnect is applied as a diff, so
 * sessions survive a relay restart and traffic resumes by itself.
 *
 * <p>Control events run on the control connection's event loop (one thread); the status is read from any thread.
 */
public final class MeshAgent implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(MeshAgent.class);
    /** Local API operation: {@link AgentStatus}. */
    public static final String OP_STATUS = "status";

    private final AgentConfig config;
    private final StateDir stateDir;
    private final NodePrivateKey key;
    private final boolean keyStored;
    private final RelayPath relayPath = new RelayPath();
    private final Map<NodePublicKey, PeerEntry> peers = new ConcurrentHashMap<>();
    private final CompletableFuture<ControlMessage.RegisterOk> firstRegistration = new CompletableFuture<>();
    private final CompletableFuture<String> stopped = new CompletableFuture<>();
    private volatile DataPlane dataPlane;
    private volatile ControlMessage.RegisterOk registration;
    private volatile PathManager paths;
    private volatile ControlClient control;
    private volatile dev.gridmesh.agent.control.ControlConfig controlConfig; // null: config.control(); set by up
    private final MeshControlOps ops = new MeshControlOps(this);
    private LocalApiServer api;

    /** A peer as the relay describes it plus the path chosen for it. */
    private record PeerEntry(PeerInfo info, PeerPath path) {}

    private MeshAgent(AgentConfig config, StateDir stateDir, NodePrivateKey key, boolean keyStored) {
        this.config = config;
        this.stateDir = stateDir;
        this.key = key;
        this.keyStored = keyStored;
    }

    /**
     * Locks the state dir, loads the node key (or makes one, kept in memory until the relay accepts it), opens the
     * local API socket and starts connecting. Returns at once; see {@link #firstRegistration()}.
     */
    public static MeshAgent start(AgentConfig config) throws AgentException {
        return start(config, PathOptions.disabled()); // relay only: `gridmesh agent` passes its --stun etc.
    }

    /** The same, with direct-path discovery set up by {@code pathOptions} ({@link PathOptions#disabled()}: relay only). */
    public static MeshAgent start(AgentConfig config, PathOptions pathOptions) throws AgentException {
        StateDir dir;
        try {
            dir = StateDir.open(config.stateDir());
        } catch (StateDirException e) {
            throw new AgentException(e.getMessage(), e);
        }
        MeshAgent agent = null;
        try {
            Optional<NodePrivateKey> stored = dir.loadKey();
            if (stored.isEmpty() && config.joinToken().isEmpty()) {
                throw new AgentException("no node key in " + dir.keyFile() + ": the first start needs --token TOKEN"
                        + " (make one on the relay's host: gridmesh relay token create)");
            }
            if (stored.isPresent() && !config.joinToken().isEmpty()) {
                log.info("node key found in {}: authenticating with it; --token is not used", dir.keyFile());
            }
            agent = new MeshAgent(config, dir, stored.orElseGet(NodePrivateKey::generate), stored.isPresent());
            // TUN first: a host where it cannot be opened fails here, before a join token is spent
            agent.dataPlane = agent.startDataPlane();
            MeshAgent a = agent;
            agent.paths = new PathManager(agent.key, agent.dataPlane.listenPort(), pathOptions,
                    new AgentPathIo(agent.dataPlane, agent.relayPath, () -> a.control));
            agent.dataPlane.setNonWireGuardReceiver(PathApi.receiver(agent.paths));
            agent.paths.start();
            agent.api = LocalApiServer.start(dir.socketPath(), agent.handlers());
            agent.control = new ControlClient(config.control(), agent.key, stored.isPresent() ? "" : config.joinToken(),
                    agent.relayPath, agent.new Listener());
            agent.control.start();
            return agent;
        } catch (StateDirException | LocalApiException e) {
            closeAll(agent, dir);
            throw new AgentException(e.getMessage(), e);
        } catch (IOException e) {
            closeAll(agent, dir);
            throw new AgentException("relay trust: " + e.getMessage(), e);
        } catch (AgentException | RuntimeException e) {
            closeAll(agent, dir);
            throw e;
        }
    }

    private static void closeAll(MeshAgent agent, StateDir dir) {
        if (agent != null) {
            agent.close();
        } else {
            dir.close();
        }
    }

    /** Completes with the first RegisterOk, or exceptionally ({@link AgentException}) when refused for good. */
    public CompletableFuture<ControlMessage.RegisterOk> firstRegistration() {
        return firstRegistration;
    }

    /** Completes with the reason when the agent stops for good on its own (refused, node removed). */
    public CompletableFuture<String> stopped() {
        return stopped;
    }

    public NodePublicKey nodeKey() {
        return key.publicKey();
    }

    public Optional<DataPlane> dataPlane() {
        return Optional.ofNullable(dataPlane);
    }

    public RelayPath relayPath() {
        return relayPath;
    }

    public ControlClient control() {
        return control;
    }

    public StateDir stateDir() {
        return stateDir;
    }

    private Map<String, LocalApiHandler> handlers() {
        Map<String, LocalApiHandler> h = new HashMap<>();
        h.put(OP_STATUS, params -> status());
        h.put(LocalApiProtocol.OP_SHOW, params -> DataPlaneLocalApi.show(requireDataPlane().status()));
        h.put("stats", params -> DataPlaneLocalApi.stats(requireDataPlane().status()));
        PathApi.register(h, () -> paths, this::peerKeyOf);
        ops.register(h); // up, down, logout
        return h;
    }

    /** A peer's node key by name, overlay IP or base64 key; null when unknown. */
    private NodePublicKey peerKeyOf(String peer) {
        for (PeerEntry e : peers.values()) {
            PeerInfo p = e.info();
            if (p.name().equals(peer) || p.nodeKey().toBase64().equals(peer)
                    || p.overlayIps().stream().anyMatch(a -> a.getHostAddress().equals(peer))) {
                return p.nodeKey();
            }
        }
        return null;
    }

    private DataPlane requireDataPlane() throws LocalApiException {
        DataPlane dp = dataPlane;
        if (dp == null) {
            throw new LocalApiException("the agent is not registered yet (no interface): see gridmesh status");
        }
        return dp;
    }

    /** This node, its connection and its peers. */
    public AgentStatus status() {
        ControlMessage.RegisterOk ok = registration;
        DataPlane dp = dataPlane;
        Map<NodePublicKey, WgPeerStatus> wg = new HashMap<>();
        if (dp != null) {
            for (WgPeerStatus s : dp.engine().peers()) {
                wg.put(s.publicKey(), s);
            }
        }
        List<AgentStatus.Peer> list = new ArrayList<>();
        for (PeerEntry e : peers.values()) {
            PeerInfo p = e.info();
            WgPeerStatus s = wg.get(p.nodeKey());
            PathManager pm = paths;
            PeerPathStatus ps = pm == null ? PeerPathStatus.RELAY : pm.status(p.nodeKey());
            list.add(new AgentStatus.Peer(p.name(), p.overlayIps().isEmpty() ? null : p.overlayIps().getFirst().getHostAddress(),
                    p.nodeKey().toBase64(), p.online(), ps.path(),
                    s == null ? 0 : s.lastHandshakeEpochMillis(), s == null ? 0 : s.rxBytes(), s == null ? 0 : s.txBytes(),
                    ps.endpoint(), ps));
        }
        list.sort(Comparator.comparing(AgentStatus.Peer::name));
        ControlClient c = control;
        AgentStatus.Self self = new AgentStatus.Self(ok == null ? null : ok.nodeName(),
                ok == null ? null : ok.overlayIp().getHostAddress(), key.publicKey().toBase64(), c != null ? c.relay() // the relay in use (one of several)
                : controlConfig().host() + ":" + controlConfig().port(), ops.mode() != MeshControlOps.Mode.UP ? ops.mode().name()
                : c == null ? ConnectionState.CONNECTING.name() : c.state().name(),
                c == null ? 0 : c.since().toEpochMilli(), c == null ? "" : c.lastError(),
                c == null ? 0 : c.registrations(), dp == null ? null : dp.interfaceName());
        return new AgentStatus(1, self, list, new AgentStatus.RelayPathStats(relayPath.framesSent(),
                relayPath.bytesSent(), relayPath.dropCounts()), dp == null ? Map.of() : dp.status().drops());
    }

    // ------------------------------------------------------------------ up / down / logout (MeshControlOps)

    /** The operator ops up/down/logout of this agent. */
    public MeshControlOps ops() {
        return ops;
    }

    dev.gridmesh.agent.control.ControlConfig controlConfig() {
        dev.gridmesh.agent.control.ControlConfig cc = controlConfig;
        return cc == null ? config.control() : cc;
    }

    boolean registered() {
        return registration != null;
    }

    /** A new, unstarted control client with this agent's key, relay path, listener and tunnel-stream sink. */
    ControlClient newControl(dev.gridmesh.agent.control.ControlConfig cc, String joinToken) throws IOException {
        ControlClient fresh = new ControlClient(cc, key, joinToken, relayPath, ops.untilRegistered(new Listener()));
        ControlClient old = control;
        if (old != null) {
            fresh.streams(old.streams());
        }
        return fresh;
    }

    synchronized void replaceControl(ControlClient fresh, dev.gridmesh.agent.control.ControlConfig cc) {
        control = fresh;
        controlConfig = cc;
    }

    /** Removes every peer from the data plane (after the control client has stopped); how many there were. */
    int removeAllPeers() {
        DataPlane dp = dataPlane;
        int n = peers.size();
        for (NodePublicKey k : List.copyOf(peers.keySet())) {
            if (dp != null) {
                removePeer(dp, k);
            } else {
                peers.remove(k);
            }
        }
        return n;
    }

    // ------------------------------------------------------------------ control events (relay event loop)

    private final class Listener implements ControlListener {
        @Override
        public void onState(ConnectionState state, String detail) {
            log.debug("relay connection {}: {}", state, detail);
        }

        @Override
        public boolean onRegistered(ControlMessage.RegisterOk ok) {
            ControlMessage.RegisterOk before = registration;
            if (before == null) {
                if (!keyStored) {
                    try {
                        stateDir.storeKey(key);
                    } catch (StateDirException e) {
                        fail("registered, but " + e.getMessage());
                        return false;
                    }
                }
                try {
                    configureInterface(ok);
                } catch (AgentException e) {
                    fail(e.getMessage());
                    return false;
                }
                registration = ok;
                log.info("{}: node {} overlay {}/{} on {}", config.tunName(), ok.nodeName(),
                        ok.overlayIp().getHostAddress(), ok.prefixBits(), dataPlane.interfaceName());
                firstRegistration.complete(ok);
            } else {
                PathManager pm = paths;
                if (pm != null) {
                    pm.onRegistered();
                }
                if (!before.overlayIp().equals(ok.overlayIp())) {
                    log.warn("relay now gives overlay IP {} (was {}); the interface keeps {} until the agent restarts",
                            ok.overlayIp().getHostAddress(), before.overlayIp().getHostAddress(),
                            before.overlayIp().getHostAddress());
                }
                registration = new ControlMessage.RegisterOk(ok.nodeName(), before.overlayIp(), before.prefixBits());
            }
            return true;
        }

        @Override
        public void onPeers(PeerMapTracker.Change change) {
            DataPlane dp = dataPlane;
            if (dp == null) {
                return;
            }
            switch (change) {
                case PeerMapTracker.Change.Full(List<PeerInfo> all) -> {
                    Set<NodePublicKey> keep = new HashSet<>();
                    for (PeerInfo p : all) {
                        keep.add(p.nodeKey());
                    }
                    for (NodePublicKey k : List.copyOf(peers.keySet())) {
                        if (!keep.contains(k)) {
                            removePeer(dp, k);
                        }
                    }
                    for (PeerInfo p : all) {
                        upsertPeer(dp, p);
                    }
                    log.info("peer map: {} peers ({} online)", all.size(), all.stream().filter(PeerInfo::online).count());
                }
                case PeerMapTracker.Change.Upsert(PeerInfo p) -> upsertPeer(dp, p);
                case PeerMapTracker.Change.Remove(NodePublicKey k) -> removePeer(dp, k);
            }
        }

        @Override
        public void onPacket(ByteBuf payload) {
            DataPlane dp = dataPlane;
            if (dp == null) {
                relayPath.drop(RelayDrop.NO_DATA_PLANE);
                return;
            }
            int from = payload.readerIndex() + Frames.PACKET_KEY_SIZE;
            PathManager pm = paths;
            if (pm != null && PathApi.isDisco(payload, from)) {
                pm.onRelayedDisco(PathApi.copy(payload, from));
                return;
            }
            dp.injectRelayed(payload.nioBuffer(from, payload.writerIndex() - from));
        }

        @Override
        public void onFatal(String reason) {
            fail(reason);
        }
    }

    private void fail(String reason) {
        firstRegistration.completeExceptionally(new AgentException(reason));
        stopped.complete(reason);
    }

    private void upsertPeer(DataPlane dp, PeerInfo p) {
        if (p.nodeKey().equals(key.publicKey())) {
            return;
        }
        PathManager pm = paths;
        if (pm != null) {
            pm.onPeer(p);
        }
        PeerEntry old = peers.get(p.nodeKey());
        PeerPath path = old == null ? PeerPath.RELAY : old.path();
        peers.put(p.nodeKey(), new PeerEntry(p, path));
        if (old != null && old.info().overlayIps().equals(p.overlayIps())) {
            return; // online state or endpoints changed: nothing for WireGuard (direct paths will use endpoints)
        }
        List<IpPrefix> allowed = new ArrayList<>();
        for (InetAddress a : p.overlayIps()) {
            allowed.add(IpPrefix.of(a, a.getAddress().length * 8));
        }
        if (path == PeerPath.RELAY) {
            dp.setPeerSender(p.nodeKey(), relayPath.senderFor(p.nodeKey())); // before the peer exists: first packet relayed
        }
        try {
            dp.upsertPeer(new WgPeerConfig(p.nodeKey(), PresharedKey.NONE, allowed, null, 0));
            log.info("peer {} {} {} via {}", old == null ? "added" : "updated", p.name(), allowed, path.label());
        } catch (DataPlaneException | RuntimeException e) {
            log.warn("peer {}: cannot program it: {}", p.name(), e.getMessage());
        }
    }

    private void removePeer(DataPlane dp, NodePublicKey k) {
        PeerEntry old = peers.remove(k);
        PathManager pm = paths;
        if (pm != null) {
            pm.onPeerRemoved(k);
        }
        try {
            dp.removePeer(k);
            log.info("peer removed {}", old == null ? k.shortString() : old.info().name());
        } catch (DataPlaneException | RuntimeException e) {
            log.warn("peer {}: cannot remove it: {}", k.shortString(), e.getMessage());
        }
    }

    /**
     * Opens the TUN and the UDP socket with no address yet (the relay assigns it). The data plane gets no command
     * runner: the agent configures the interface itself, once, with the overlay range's route (address/10); peers'
     * /32 allowed IPs fall inside it, so adding a peer runs no command.
     */
    private DataPlane startDataPlane() throws AgentException {
        DataPlaneOptions o = config.dataPlane();
        DataPlaneOptions inner = new DataPlaneOptions(o.tunOpener(), null, o.bindAddress(), o.allowEpoll(), o.udpGso());
        try {
            return DataPlane.start(new DataPlaneConfig(config.tunName(), key, List.of(), 0, config.mtu(), List.of(),
                    null), inner);
        } catch (DataPlaneException e) {
            throw new AgentException(e.getMessage(), e);
        } catch (IllegalArgumentException e) {
            throw new AgentException(config.tunName() + ": " + e.getMessage(), e);
        }
    }

    /** {@code ip address add OVERLAY/BITS dev TUN; ip link set TUN mtu M up} (nothing with a fake TUN). */
    private void configureInterface(ControlMessage.RegisterOk ok) throws AgentException {
        IpPrefix address = IpPrefix.of(ok.overlayIp(), ok.prefixBits());
        DataPlane dp = dataPlane;
        if (config.dataPlane().commandRunner() != null) {
            try {
                new InterfaceConfigurator(config.dataPlane().commandRunner()).up(dp.interfaceName(), List.of(address),
                        dp.config().mtu(), List.of());
            } catch (NetConfigException e) {
                throw new AgentException(e.getMessage(), e);
            }
        }
    }

    /** Closes the relay connection, the interface, the local API socket and releases the state dir. Idempotent. */
    @Override
    public synchronized void close() {
        if (paths != null) {
            paths.close(); // deletes the port mapping while the network is still there
        }
        if (control != null) {
            control.close();
        }
        DataPlane dp = dataPlane;
        if (dp != null) {
            dp.close();
        }
        if (api != null) {
            api.close();
        }
        stateDir.close();
        stopped.complete("closed");
    }
}
