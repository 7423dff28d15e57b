package dev.gridmesh.agent.dataplane;

import dev.gridmesh.agent.outside.DatagramReceiver;
import dev.gridmesh.agent.outside.ExtraSocket;
import dev.gridmesh.agent.outside.OutboundBatch;
import dev.gridmesh.agent.outside.OutsideDemuxHandler;
import dev.gridmesh.agent.outside.OutsideSocket;
import dev.gridmesh.agent.route.InterfaceConfigurator;
import dev.gridmesh.agent.route.NetConfigException;
import dev.gridmesh.agent.tun.PacketBatch;
import dev.gridmesh.agent.tun.TunDevice;
import dev.gridmesh.agent.tun.TunException;
import dev.gridmesh.agent.tun.offload.Coalescer;
import dev.gridmesh.agent.tun.offload.OffloadDrop;
import dev.gridmesh.crypto.NodePublicKey;
import dev.gridmesh.protocol.net.IpPrefix;
import dev.gridmesh.protocol.wg.Action;
import dev.gridmesh.protocol.wg.DropReason;
import dev.gridmesh.protocol.wg.PacketResult;
import dev.gridmesh.protocol.wg.Transmit;
import dev.gridmesh.protocol.wg.WgEngine;
import dev.gridmesh.protocol.wg.WgPeerConfig;
import dev.gridmesh.protocol.wg.WgPeerStatus;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.socket.DatagramPacket;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.security.SecureRandom;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running WireGuard interface: TUN device, UDP socket and {@link WgEngine}, with three threads of control.
 * <pre>
 *   inside thread "wg-inside-IF":  TUN read (batch of up to 64) -> engine.encapsulate -> OutboundBatch
 *                                  (pooled direct buffers, GSO runs) -> one task on the event loop: write all, flush once
 *   event loop "wg-outside-IF":    recvmmsg -> demux (WireGuard 1..4 | other hook) -> engine.decapsulate -> TUN write,
 *                                  or a reply datagram; flush and drain engine.pollTransmit() per read burst
 *   timer (on the event loop):     engine.tick() every 100 ms, then drain pollTransmit()
 * </pre>
 * The engine is fed from two threads (encapsulate on the inside thread, decapsulate/tick on the event loop), as its
 * contract allows; each thread has its own {@link PacketResult} and scratch buffers, so nothing is allocated per
 * packet on the data path except Netty's small DatagramPacket envelopes. Drops never throw: they are counted
 * ({@link IoDrop} here, {@link DropReason} in the engine) and show in {@link #status()}.
 * <p>
 * Relay hooks: {@link #setPeerSender} sends a peer's datagrams somewhere other than UDP (e.g. the relay's TCP
 * connection), {@link #injectRelayed} feeds datagrams received that way, {@link #setNonWireGuardReceiver} takes the
 * socket's STUN/disco traffic.
 */
public final class DataPlane implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(DataPlane.class);
    static final long TICK_MILLIS = 100;
    static final int TUN_BATCH = 64;
    /** Batches handed to the event loop and not yet written; beyond this the inside thread waits. */
    static final int MAX_PENDING_BATCHES = 16;
    /** How long the inside thread waits for the UDP queue before dropping a batch. */
    static final long MAX_BACKPRESSURE_NANOS = TimeUnit.MILLISECONDS.toNanos(200);
    /** Bound of the queue of relayed datagrams waiting for the event loop. */
    static final int RELAYED_QUEUE = 4096;
    /** With TUN offloads: TCP super-packets (64 KiB buffers) being built at once during one burst. */
    static final int TUN_COALESCE_FLOWS = 16;

    private final DataPlaneConfig config;
    private final DataPlaneOptions options;
    private final WgEngine engine;
    private final TunDevice tun;
    private final InterfaceConfigurator netconf;
    /** Read and write buffer size: the largest IP packet (inside) or datagram (outside) handled. */
    private final int slot;
    private final AtomicLongArray ioDrops = new AtomicLongArray(IoDrop.values().length);
    private final AtomicInteger pendingBatches = new AtomicInteger();
    /** Relayed datagrams (copies, back to back in chunks) waiting for the event loop, see {@link #injectRelayed}. */
    private final RelayedInbox relayed = new RelayedInbox(RELAYED_QUEUE);
    private final AtomicBoolean relayedScheduled = new AtomicBoolean();
    private final Runnable relayedDrain = this::drainRelayed;
    private final RelayedInbox.Consumer relayedDatagram = d -> handleInbound(null, d);
    private final WgReceiver receiver = new WgReceiver();
    private final OutsideDemuxHandler demux;
    private final Object peerLock = new Object();
    private volatile Map<NodePublicKey, PeerSender> senders = Map.of();
    private volatile boolean gso;
    private volatile boolean closing;
    private OutsideSocket outside;
    private Channel channel;
    private Thread insideThread;
    private ScheduledFuture<?> timer;

    // event-loop state
    private final PacketResult outsideResult = new PacketResult();
    private final ByteBuffer outsideSrc;
    private final ByteBuffer outsideDst;
    private boolean needsFlush;
    /** With TUN offloads: the burst's decrypted packets, coalesced per TCP flow, written at the burst's end. */
    private final Coalescer tunCoalescer;
    private final Coalescer.FrameSink tunFrameSink = this::writeTunFrame;

    private DataPlane(DataPlaneConfig config, DataPlaneOptions options, WgEngine engine, TunDevice tun,
            InterfaceConfigurator netconf) {
        this.config = config;
        this.options = options;
        this.engine = engine;
        this.tun = tun;
        this.netconf = netconf;
        this.slot = Math.max(2048, config.mtu() + 256);
        this.outsideSrc = ByteBuffer.allocateDirect(slot);
        this.outsideDst = ByteBuffer.allocateDirect(slot);
        this.demux = new OutsideDemuxHandler(receiver, (from, content) -> drop(IoDrop.NOT_WIREGUARD));
        this.tunCoalescer = tun.offloads() ? new Coalescer(TUN_COALESCE_FLOWS, TUN_BATCH, slot) : null;
    }

    /** Brings the interface up on this host: real TUN, {@code ip} configuration, UDP socket. */
    public static DataPlane start(DataPlaneConfig config) throws DataPlaneException {
        return start(config, DataPlaneOptions.system());
    }

    /**
     * Brings the interface up with the given OS backends (tests pass a fake TUN and no command runner).
     *
     * @throws DataPlaneException naming the interface and the failed step (TUN, address/route, UDP bind)
     */
    public static DataPlane start(DataPlaneConfig config, DataPlaneOptions options) throws DataPlaneException {
        Objects.requireNonNull(config, "config");
        Objects.requireNonNull(options, "options");
        TunDevice tun;
        try {
            tun = options.tunOpener().open(config.interfaceName());
        } catch (TunException e) {
            throw new DataPlaneException(e.getMessage(), e);
        }
        InterfaceConfigurator netconf = options.commandRunner() == null ? null
                : new InterfaceConfigurator(options.commandRunner());
        DataPlane dp = null;
        try {
            WgEngine engine = new WgEngine(config.privateKey(), config.timers(), new SecureRandom(),
                    System::currentTimeMillis);
            for (WgPeerConfig p : config.peers()) {
                engine.upsertPeer(p);
            }
            dp = new DataPlane(config, options, engine, tun, netconf);
            if (netconf != null) {
                netconf.up(tun.name(), config.addresses(), config.mtu(), allowedIps(config.peers()));
            }
            dp.startIo();
            log.info("{}: up, public key {}, UDP port {} ({}{})", tun.name(), engine.publicKey().shortString(),
                    dp.listenPort(), dp.outside.isEpoll() ? "epoll" : "nio", dp.gso ? ", GSO" : "");
            return dp;
        } catch (NetConfigException e) {
            abort(dp, tun, netconf);
            throw new DataPlaneException(e.getMessage(), e);
        } catch (IOException e) {
            abort(dp, tun, netconf);
            throw new DataPlaneException(config.interfaceName() + ": cannot bind UDP port " + config.listenPort()
                    + ": " + e.getMessage(), e);
        } catch (RuntimeException | Error e) {
            abort(dp, tun, netconf);
            throw e;
        }
    }

    private static void abort(DataPlane dp, TunDevice tun, InterfaceConfigurator netconf) {
        if (dp != null) {
            dp.close();
            return;
        }
        tun.close();
        if (netconf != null) {
            try {
                netconf.delete(tun.name());
            } catch (NetConfigException e) {
                log.warn("{}", e.getMessage());
            }
        }
    }

    private static List<IpPrefix> allowedIps(List<WgPeerConfig> peers) {
        Set<IpPrefix> all = new LinkedHashSet<>();
        for (WgPeerConfig p : peers) {
            all.addAll(p.allowedIps());
        }
        return List.copyOf(all);
    }

    private void startIo() throws IOException {
        outside = OutsideSocket.bind("wg-outside-" + tun.name(), options.bindAddress(), config.listenPort(), slot,
                options.allowEpoll(), options.udpGro(), demux);
        channel = outside.channel();
        gso = options.udpGso() && outside.gsoSupported();
        timer = outside.eventLoop().scheduleAtFixedRate(this::onTick, TICK_MILLIS, TICK_MILLIS,
                TimeUnit.MILLISECONDS);
        insideThread = Thread.ofPlatform().name("wg-inside-" + tun.name()).daemon().start(this::insideLoop);
    }

    public WgEngine engine() {
        return engine;
    }

    /** The UDP port actually bound (useful with listenPort 0). */
    public int listenPort() {
        return outside.localPort();
    }

    public String interfaceName() {
        return tun.name();
    }

    public DataPlaneConfig config() {
        return config;
    }

    /** Interface and peers, plus non-zero drop counters. */
    public DataPlaneStatus status() {
        Map<String, Long> drops = new TreeMap<>();
        engine.dropCounts().forEach((k, v) -> {
            if (v != null && v > 0) {
                drops.put("engine." + k.name(), v);
            }
        });
        for (IoDrop d : IoDrop.values()) {
            long v = ioDrops.get(d.ordinal());
            if (v > 0) {
                drops.put("io." + d.name(), v);
            }
        }
        Map<String, Long> tunCounters = tun.counters();
        for (OffloadDrop d : OffloadDrop.values()) {
            long v = tunCounters.getOrDefault(d.name(), 0L)
                    + (tunCoalescer == null ? 0 : tunCoalescer.drops(d));
            if (v > 0) {
                drops.put("tun." + d.name(), v);
            }
        }
        return new DataPlaneStatus(tun.name(), engine.publicKey(), listenPort(), config.addresses(), config.mtu(),
                engine.peers(), drops, outside.isEpoll() ? "epoll" : "nio");
    }

    /** The count for one I/O drop reason. */
    public long ioDrops(IoDrop reason) {
        return ioDrops.get(reason.ordinal());
    }

    /** Adds or updates a peer at run time, routing its allowed IPs into the interface. */
    public void upsertPeer(WgPeerConfig peer) throws DataPlaneException {
        synchronized (peerLock) {
            engine.upsertPeer(peer);
            if (netconf != null) {
                try {
                    for (IpPrefix r : InterfaceConfigurator.routesToInstall(config.addresses(), peer.allowedIps())) {
                        netconf.addRoute(tun.name(), r);
                    }
                } catch (NetConfigException e) {
                    throw new DataPlaneException(e.getMessage(), e);
                }
            }
        }
    }

    /** Removes a peer and the routes of allowed IPs no other peer still claims. */
    public boolean removePeer(NodePublicKey key) throws DataPlaneException {
        synchronized (peerLock) {
            List<IpPrefix> mine = List.of();
            Set<IpPrefix> others = new LinkedHashSet<>();
            for (WgPeerStatus s : engine.peers()) {
                if (s.publicKey().equals(key)) {
                    mine = s.allowedIps();
                } else {
                    others.addAll(s.allowedIps());
                }
            }
            boolean removed = engine.removePeer(key);
            setPeerSender(key, null);
            if (removed && netconf != null) {
                try {
                    for (IpPrefix r : InterfaceConfigurator.routesToInstall(config.addresses(), mine)) {
                        if (!others.contains(r)) {
                            netconf.removeRoute(tun.name(), r);
                        }
                    }
                } catch (NetConfigException e) {
                    throw new DataPlaneException(e.getMessage(), e);
                }
            }
            return removed;
        }
    }

    /** Routes {@code peer}'s datagrams through {@code sender} (the relay); null restores plain UDP. */
    public void setPeerSender(NodePublicKey peer, PeerSender sender) {
        Objects.requireNonNull(peer, "peer");
        synchronized (peerLock) {
            Map<NodePublicKey, PeerSender> m = new HashMap<>(senders);
            if (sender == null) {
                m.remove(peer);
            } else {
                m.put(peer, sender);
            }
            senders = Map.copyOf(m);
        }
    }

    /** Takes the socket's non-WireGuard datagrams (STUN, disco); runs on the event loop. */
    public void setNonWireGuardReceiver(DatagramReceiver receiver) {
        demux.setOther(receiver);
    }

    /**
     * Opens an extra UDP socket (ephemeral port) on the outside event loop, demultiplexed like the main one:
     * WireGuard datagrams go to the engine (so a peer's packets may arrive on either), the rest to {@code other}
     * (on the event loop; copy what you keep). Used for birthday punching; not from the event loop thread.
     */
    public ExtraSocket openExtraSocket(DatagramReceiver other) throws IOException {
        Channel ch = channel;
        if (ch == null || !ch.isOpen() || closing) {
            throw new IOException(tun.name() + ": data plane not running");
        }
        return ExtraSocket.bind(ch.eventLoop(), outside.isEpoll(), options.bindAddress(), slot,
                new OutsideDemuxHandler(receiver, other));
    }

    /**
     * Sends one datagram that is not WireGuard (STUN, disco) out of the same UDP socket, so NAT mappings it opens
     * serve WireGuard too. Any thread; {@code datagram} is not kept. Failures count as UDP_SEND_FAILED.
     */
    public void sendOutside(InetSocketAddress to, byte[] datagram) {
        Channel ch = channel;
        if (ch == null || !ch.isOpen()) {
            return;
        }
        ch.writeAndFlush(new DatagramPacket(io.netty.buffer.Unpooled.wrappedBuffer(datagram.clone()), to),
                ch.voidPromise());
    }

    /**
     * Feeds a WireGuard datagram that arrived over the relay (no UDP source: never used for roaming). Copied, then
     * processed on the event loop; may be called from any thread. A burst costs one event-loop task and one buffer,
     * not one of each per datagram: the copies wait back to back in pooled chunks ({@link RelayedInbox}, at most
     * {@link #RELAYED_QUEUE} datagrams; beyond that RELAYED_QUEUE_FULL) and the first one after a drain schedules the
     * drain, which decapsulates them all and flushes once.
     */
    public void injectRelayed(ByteBuffer datagram) {
        if (!relayed.add(channel.alloc(), datagram)) {
            drop(IoDrop.RELAYED_QUEUE_FULL);
            return;
        }
        if (relayedScheduled.compareAndSet(false, true)) {
            try {
                channel.eventLoop().execute(relayedDrain);
            } catch (RejectedExecutionException e) {
                relayedScheduled.set(false);
                discardRelayed();
            }
        }
    }

    /** Only once the event loop is stopped: frees what it will not drain. */
    private void discardRelayed() {
        relayed.clear();
    }

    private void drainRelayed() {
        relayedScheduled.set(false);
        relayed.drain(relayedDatagram);
        flushAndDrain();
    }

    /** Sends an empty WireGuard packet (keepalive) to {@code peer} now. */
    public void sendKeepalive(NodePublicKey peer) {
        channel.eventLoop().execute(() -> {
            outsideDst.clear();
            Action a = engine.encapsulate(peer, ByteBuffer.allocate(0), outsideDst, System.nanoTime(),
                    outsideResult);
            if (a == Action.SEND) {
                sendFromEventLoop(outsideResult.peer, outsideResult.endpoint, outsideDst);
            }
            flushAndDrain();
        });
    }

    // ---------------------------------------------------------------- inside: TUN -> engine -> UDP

    private void insideLoop() {
        PacketBatch batch = new PacketBatch(TUN_BATCH, slot);
        PacketResult result = new PacketResult();
        ByteBuffer dst = ByteBuffer.allocateDirect(slot + WgEngine.MAX_OVERHEAD + 16);
        try {
            while (!closing) {
                int n = tun.read(batch);
                if (n < 0) {
                    return;
                }
                long now = System.nanoTime();
                OutboundBatch out = new OutboundBatch(channel.alloc(), gso, n);
                boolean staged = false;
                for (int i = 0; i < n; i++) {
                    ByteBuffer packet = batch.get(i);
                    if (packet.limit() >= slot) {
                        drop(IoDrop.TUN_PACKET_TOO_BIG);
                        continue;
                    }
                    dst.clear();
                    try {
                        Action a = engine.encapsulate(packet, dst, now, result);
                        if (a == Action.SEND) {
                            sendFromInside(result.peer, result.endpoint, dst, out, n - i - 1);
                        } else if (a == Action.NONE) {
                            staged = true; // a handshake may have been queued in pollTransmit()
                        }
                    } catch (RuntimeException e) {
                        internalError("outbound packet", e);
                    }
                }
                submit(out, staged);
            }
        } catch (IOException e) {
            if (!closing) {
                log.error("{}: reading TUN failed, inside loop stops: {}", tun.name(), e.getMessage());
            }
        }
    }

    /** Counts a bug on the data path; logs it at the 1st, 2nd, 4th, 8th... occurrence, never per packet. */
    private void internalError(String where, RuntimeException e) {
        long n = ioDrops.incrementAndGet(IoDrop.INTERNAL_ERROR.ordinal());
        if (Long.bitCount(n) == 1) {
            log.error("{}: {} failed (occurrence {}); packet dropped", tun.name(), where, n, e);
        }
    }

    private void sendFromInside(NodePublicKey peer, InetSocketAddress endpoint, ByteBuffer datagram,
            OutboundBatch out, int remaining) {
        Map<NodePublicKey, PeerSender> s = senders;
        if (!s.isEmpty() && peer != null) {
            PeerSender ps = s.get(peer);
            if (ps != null) {
                ps.send(peer, endpoint, datagram);
                return;
            }
        }
        if (endpoint == null) {
            drop(IoDrop.NO_ENDPOINT);
            return;
        }
        out.add(endpoint, datagram, remaining);
    }

    private void submit(OutboundBatch out, boolean drain) {
        if (out.isEmpty() && !drain) {
            return;
        }
        if (!out.isEmpty()) {
            long waitStart = 0;
            while (pendingBatches.get() >= MAX_PENDING_BATCHES || !channel.isWritable()) {
                if (closing || !channel.isOpen()) {
                    out.release();
                    return;
                }
                long now = System.nanoTime();
                if (waitStart == 0) {
                    waitStart = now;
                } else if (now - waitStart > MAX_BACKPRESSURE_NANOS) {
                    drop(IoDrop.UDP_QUEUE_FULL, out.datagrams());
                    out.release();
                    return;
                }
                LockSupport.parkNanos(50_000);
            }
        }
        pendingBatches.incrementAndGet();
        try {
            channel.eventLoop().execute(() -> {
                pendingBatches.decrementAndGet();
                if (!out.isEmpty()) {
                    out.writeAndFlush(channel);
                }
                flushAndDrain();
            });
        } catch (RejectedExecutionException e) {
            pendingBatches.decrementAndGet();
            out.release();
        }
    }

    // ---------------------------------------------------------------- outside: UDP -> engine -> TUN (event loop)

    private final class WgReceiver implements DatagramReceiver {
        @Override
        public void onDatagram(InetSocketAddress sender, ByteBuf content) {
            handleInbound(sender, content);
        }

        @Override
        public void onReadComplete() {
            flushAndDrain();
        }

        @Override
        public void onSendError(Throwable cause) {
            drop(IoDrop.UDP_SEND_FAILED);
            if (gso && String.valueOf(cause.getMessage()).contains("Input/output error")) {
                gso = false; // the route's device cannot checksum-offload GSO sends
                log.info("{}: UDP GSO send failed ({}); GSO off for this interface", tun.name(), cause.toString());
            } else {
                log.debug("{}: UDP send failed: {}", tun.name(), cause.toString());
            }
        }
    }

    private void handleInbound(InetSocketAddress from, ByteBuf content) {
        try {
            decapsulate(from, content);
        } catch (RuntimeException e) {
            internalError("inbound datagram", e);
        }
    }

    private void decapsulate(InetSocketAddress from, ByteBuf content) {
        int len = content.readableBytes();
        if (len > outsideSrc.capacity()) {
            drop(IoDrop.UDP_DATAGRAM_TOO_BIG);
            return;
        }
        outsideSrc.clear().limit(len);
        content.getBytes(content.readerIndex(), outsideSrc);
        outsideSrc.flip();
        outsideDst.clear();
        Action a = engine.decapsulate(from, outsideSrc, outsideDst, System.nanoTime(), outsideResult);
        switch (a) {
            case WRITE_TUN -> writeTun(outsideDst);
            case SEND -> sendFromEventLoop(outsideResult.peer,
                    outsideResult.endpoint != null ? outsideResult.endpoint : from, outsideDst);
            case NONE, DROP -> {
            }
        }
    }

    /** One datagram from the event loop (reply, keepalive, transmit); flushed by {@link #flushAndDrain()}. */
    private void sendFromEventLoop(NodePublicKey peer, InetSocketAddress endpoint, ByteBuffer datagram) {
        if (peer != null) {
            PeerSender ps = senders.get(peer);
            if (ps != null) {
                try {
                    ps.send(peer, endpoint, datagram);
                } catch (RuntimeException e) {
                    internalError("peer sender", e);
                }
                return;
            }
        }
        if (endpoint == null) {
            drop(IoDrop.NO_ENDPOINT);
            return;
        }
        ByteBuf buf = channel.alloc().directBuffer(datagram.remaining());
        OutboundBatch.copy(buf, datagram);
        channel.write(new DatagramPacket(buf, endpoint), channel.voidPromise());
        needsFlush = true;
    }

    /** One decrypted packet to TUN: now, or with offloads into the burst's coalescer (see {@link #flushTun}). */
    private void writeTun(ByteBuffer packet) {
        Coalescer c = tunCoalescer;
        if (c == null) {
            try {
                if (!tun.write(packet)) {
                    drop(IoDrop.TUN_WRITE_FAILED);
                }
            } catch (IOException e) {
                drop(IoDrop.TUN_WRITE_FAILED);
            }
            return;
        }
        if (!c.add(packet)) {
            flushTun();
            c.add(packet);
        }
    }

    /** Writes what the coalescer holds: one frame per TCP super-packet or other packet. Event loop. */
    private void flushTun() {
        Coalescer c = tunCoalescer;
        if (c != null && !c.isEmpty()) {
            c.flush(tunFrameSink);
        }
    }

    private void writeTunFrame(ByteBuffer frame, int packets) {
        try {
            if (!tun.writeFrame(frame)) {
                drop(IoDrop.TUN_WRITE_FAILED, packets);
            }
        } catch (IOException | RuntimeException e) {
            drop(IoDrop.TUN_WRITE_FAILED, packets);
        }
    }

    /** Ends a burst: TUN writes (coalesced), then the engine's queued datagrams, then one UDP flush. */
    private void flushAndDrain() {
        flushTun();
        Transmit t;
        while ((t = engine.pollTransmit()) != null) {
            sendFromEventLoop(t.peer(), t.endpoint(), ByteBuffer.wrap(t.datagram()));
        }
        if (needsFlush) {
            needsFlush = false;
            channel.flush();
        }
    }

    private void onTick() {
        try {
            engine.tick(System.nanoTime());
            flushAndDrain();
        } catch (RuntimeException e) {
            log.error("{}: engine tick failed", tun.name(), e);
        }
    }

    private void drop(IoDrop reason) {
        ioDrops.incrementAndGet(reason.ordinal());
    }

    private void drop(IoDrop reason, int count) {
        ioDrops.addAndGet(reason.ordinal(), count);
    }

    /**
     * Stops the threads, closes the socket and the TUN device (which removes the interface, its addresses and
     * routes) and, with a command runner, makes sure the link is gone. Idempotent.
     */
    @Override
    public void close() {
        if (closing) {
            return;
        }
        closing = true;
        tun.close();
        if (insideThread != null) {
            try {
                insideThread.join(2000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (timer != null) {
            timer.cancel(false);
        }
        if (outside != null) {
            outside.close();
        }
        discardRelayed(); // relayed datagrams the stopped event loop will not drain
        if (netconf != null) {
            try {
                netconf.delete(tun.name());
            } catch (NetConfigException e) {
                log.warn("{}", e.getMessage());
            }
        }
        log.info("{}: down", tun.name());
    }
}
