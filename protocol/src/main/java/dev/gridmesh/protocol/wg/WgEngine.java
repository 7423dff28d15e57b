package dev.gridmesh.protocol.wg;

import dev.gridmesh.crypto.NodePrivateKey;
import dev.gridmesh.crypto.NodePublicKey;
import dev.gridmesh.crypto.cookie.CookieChecker;
import dev.gridmesh.crypto.cookie.CookieGenerator;
import dev.gridmesh.crypto.noise.TransportCipher;
import dev.gridmesh.protocol.net.IpPrefix;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.function.LongSupplier;
import java.util.random.RandomGenerator;

/**
 * A WireGuard device's protocol state: static key, peers, index table, allowed-IPs routing (longest-prefix match,
 * IPv4+IPv6), handshakes, sessions, timers, cookies. No sockets, no threads, time is passed in.
 *
 * <p>Thread safety: encapsulate() may run on one thread while decapsulate() runs on another and tick()/peer changes
 * on a third; the data fast path takes no lock beyond a volatile read of the current keypair (counters atomic) and
 * the receiving keypair's replay window. Each thread passes its own {@link PacketResult}.
 *
 * <p>Buffers: output is written into {@code dst} from its position; on return dst's position is where the output
 * starts and its limit where it ends. The input buffer is consumed (its position may advance). After any call,
 * drain {@link #pollTransmit()}: handshake messages, keepalives and packets staged during a handshake come out there.
 */
public final class WgEngine {
    /** 16-byte transport header + 16-byte Poly1305 tag; dst needs ipPacket length rounded up to 16, plus this. */
    public static final int MAX_OVERHEAD = 32;
    /** wireguard-go's HandshakeInitationRate: a peer's initiations are consumed at most this often. */
    static final long HANDSHAKE_INITIATION_RATE_NANOS = 50_000_000L;

    final NodePrivateKey staticKey;
    private final NodePublicKey publicKey;
    final WgTimers timers;
    final RandomGenerator rng;
    final LongSupplier epochMillis;
    final CookieChecker cookieChecker;
    final ConcurrentLinkedQueue<Transmit> transmits = new ConcurrentLinkedQueue<>();
    final ConcurrentHashMap<NodePublicKey, Peer> peers = new ConcurrentHashMap<>();
    /** Receiver index -> {@link Keypair}, or -> {@link Peer} for the peer's handshake in progress. */
    final ConcurrentHashMap<Integer, Object> indices = new ConcurrentHashMap<>();
    /** Index-table placeholder while a keypair for a freshly allocated index is built. */
    static final Object RESERVED = new Object();
    private volatile AllowedIps<Peer> routes = new AllowedIps<>();
    private final AtomicLongArray drops = new AtomicLongArray(DropReason.values().length);
    final AtomicLong handshakesCompleted = new AtomicLong(); // per handshake, not per packet
    // transport packets sealed/opened (keepalives included); LongAdder: the inside and outside threads each add
    // without contending on one cache line
    private final LongAdder transportPacketsSent = new LongAdder();
    private final LongAdder transportPacketsReceived = new LongAdder();
    private final AtomicLong configSeq = new AtomicLong();
    private final PacketResult tickScratch = new PacketResult();
    final LoadMonitor load = new LoadMonitor();
    private final Handshakes handshakes = new Handshakes(this);

    private final long rekeyAfterTime;
    final long rejectAfterTime;
    final long rekeyTimeout;
    private final long keepaliveTimeout;
    private final int maxHandshakeAttempts;

    public WgEngine(NodePrivateKey staticKey, WgTimers timers, RandomGenerator rng, LongSupplier epochMillis) {
        this.staticKey = Objects.requireNonNull(staticKey, "staticKey");
        this.publicKey = staticKey.publicKey();
        this.timers = Objects.requireNonNull(timers, "timers");
        this.rng = Objects.requireNonNull(rng, "rng");
        this.epochMillis = Objects.requireNonNull(epochMillis, "epochMillis");
        this.cookieChecker = new CookieChecker(publicKey, timers.cookieRefreshTime(), new LockedRandom(rng));
        this.rekeyAfterTime = timers.rekeyAfterTime().toNanos();
        this.rejectAfterTime = timers.rejectAfterTime().toNanos();
        this.rekeyTimeout = timers.rekeyTimeout().toNanos();
        this.keepaliveTimeout = timers.keepaliveTimeout().toNanos();
        this.maxHandshakeAttempts = (int) Math.max(1,
                timers.rekeyAttemptTime().toNanos() / Math.max(1, rekeyTimeout));
    }

    public NodePublicKey publicKey() {
        return publicKey;
    }

    public WgTimers timers() {
        return timers;
    }

    // ---------------------------------------------------------------------------------------------- peers

    /** Adds or updates a peer; keeps its sessions if the key is unchanged. A non-null endpoint replaces the current. */
    public void upsertPeer(WgPeerConfig config) {
        Objects.requireNonNull(config, "config");
        if (config.publicKey().equals(publicKey)) {
            throw new IllegalArgumentException("peer " + config.publicKey().shortString() + " is this device's own key");
        }
        long seq = configSeq.incrementAndGet();
        Peer existing = peers.get(config.publicKey());
        if (existing == null) {
            Peer p = new Peer(config, new CookieGenerator(config.publicKey(), timers.cookieRefreshTime()), seq);
            peers.put(config.publicKey(), p);
        } else {
            synchronized (existing) {
                int oldKeepalive = existing.config.persistentKeepaliveSeconds();
                existing.config = config;
                existing.configSeq = seq;
                if (config.endpoint() != null) {
                    existing.endpoint = config.endpoint();
                }
                if (config.persistentKeepaliveSeconds() > 0
                        && config.persistentKeepaliveSeconds() != oldKeepalive) {
                    existing.keepaliveOnNextTick = true;
                } else if (config.persistentKeepaliveSeconds() == 0) {
                    existing.persistentKeepaliveAt = Peer.OFF;
                }
            }
        }
        rebuildRoutes();
    }

    public boolean removePeer(NodePublicKey key) {
        Peer p = peers.remove(key);
        if (p == null) {
            return false;
        }
        synchronized (p) {
            handshakes.zeroAndFlush(p);
            p.retransmitHandshakeAt = Peer.OFF;
            p.sendKeepaliveAt = Peer.OFF;
            p.newHandshakeAt = Peer.OFF;
            p.zeroKeyMaterialAt = Peer.OFF;
            p.persistentKeepaliveAt = Peer.OFF;
        }
        rebuildRoutes();
        return true;
    }

    /** Path selection may move a peer: the next datagrams go to {@code endpoint} (null = unknown / relay). */
    public void setPeerEndpoint(NodePublicKey key, InetSocketAddress endpoint) {
        Peer p = peers.get(key);
        if (p != null) {
            p.endpoint = endpoint;
        }
    }

    public List<WgPeerStatus> peers() {
        List<WgPeerStatus> out = new ArrayList<>();
        for (Peer p : sortedPeers()) {
            WgPeerConfig c = p.config;
            out.add(new WgPeerStatus(p.key, p.endpoint, c.allowedIps(), p.lastHandshakeEpochMillis, p.rxBytes.get(),
                    p.txBytes.get(), c.persistentKeepaliveSeconds(),
                    !c.presharedKey().equals(dev.gridmesh.crypto.PresharedKey.NONE)));
        }
        return out;
    }

    private List<Peer> sortedPeers() {
        List<Peer> list = new ArrayList<>(peers.values());
        list.sort(Comparator.comparingLong(p -> p.configSeq));
        return list;
    }

    private synchronized void rebuildRoutes() {
        AllowedIps<Peer> t = new AllowedIps<>();
        for (Peer p : sortedPeers()) {
            if (peers.get(p.key) != p) {
                continue;
            }
            for (IpPrefix prefix : p.config.allowedIps()) {
                t.insert(prefix, p);
            }
        }
        routes = t;
    }

    /**
     * Forces (or stops forcing) the under-load state, in which handshake messages need a valid mac2 and are answered
     * with cookie replies otherwise. For tests and operators; normally the load is detected from the message rate.
     */
    public void setForceUnderLoad(boolean force) {
        load.setForced(force);
    }

    /** Handshake messages per second above which the engine considers itself under load (default 128). */
    public void setUnderLoadThreshold(int handshakesPerSecond) {
        load.setThreshold(handshakesPerSecond);
    }

    // ---------------------------------------------------------------------------------------------- outbound

    /** Outbound IP packet (position..limit, read from TUN) -> WireGuard datagram written into dst. */
    public Action encapsulate(ByteBuffer ipPacket, ByteBuffer dst, long nowNanos, PacketResult result) {
        result.clear();
        int len = ipPacket.remaining();
        int p = ipPacket.position();
        if (len < 1) {
            return drop(result, DropReason.TRUNCATED);
        }
        int version = (ipPacket.get(p) & 0xff) >>> 4;
        Peer peer;
        if (version == 4) {
            if (len < 20) {
                return drop(result, DropReason.TRUNCATED);
            }
            peer = routes.lookup(ipPacket, p + 16, 4);
        } else if (version == 6) {
            if (len < 40) {
                return drop(result, DropReason.TRUNCATED);
            }
            peer = routes.lookup(ipPacket, p + 24, 16);
        } else {
            return drop(result, DropReason.MALFORMED);
        }
        if (peer == null) {
            return drop(result, DropReason.NO_ROUTE);
        }
        return send(peer, ipPacket, dst, nowNanos, result);
    }

    /** Same, for a known peer (bypasses routing); an empty ipPacket sends a keepalive. */
    public Action encapsulate(NodePublicKey peer, ByteBuffer ipPacket, ByteBuffer dst, long nowNanos,
            PacketResult result) {
        result.clear();
        Peer p = peers.get(peer);
        if (p == null) {
            return drop(result, DropReason.UNKNOWN_PEER);
        }
        return send(p, ipPacket, dst, nowNanos, result);
    }

    private Action send(Peer peer, ByteBuffer ip, ByteBuffer dst, long now, PacketResult r) {
        r.peer = peer.key;
        r.endpoint = peer.endpoint;
        int len = ip.remaining();
        if (len > 65535) {
            return drop(r, DropReason.OVERSIZED);
        }
        Keypair kp = peer.current;
        long n;
        if (kp == null || now - kp.createdNanos >= rejectAfterTime
                || (n = kp.sendNonce.getAndIncrement()) >= timers.rejectAfterMessages() || n < 0) {
            return stage(peer, ip, now, r);
        }
        int room = dst.remaining() - MAX_OVERHEAD;
        if (room < len) {
            return drop(r, DropReason.OVERSIZED);
        }
        int padLen = Math.min(((len + 15) & ~15), room) - len;
        int start = dst.position();
        sealInto(kp, n, ip, padLen, dst, r.cipher());
        int end = dst.position();
        dst.limit(end).position(start);
        peer.txBytes.addAndGet(end - start);
        transportPacketsSent.increment();
        afterSend(peer, kp, n, len, now);
        return Action.SEND;
    }

    private static void sealInto(Keypair kp, long n, ByteBuffer ip, int padLen, ByteBuffer dst, TransportCipher c) {
        int start = dst.position();
        LittleEndian.putInt(dst, start, WgMessage.TYPE_TRANSPORT);
        LittleEndian.putInt(dst, start + 4, kp.remoteIndex);
        LittleEndian.putLong(dst, start + 8, n);
        dst.position(start + WgMessage.TRANSPORT_HEADER_LEN);
        c.seal(kp.sendKey, n, ip, padLen, dst);
    }

    /** Timer events after sending on a session, and the sender's rekey check (keepKeyFreshSending). */
    private void afterSend(Peer peer, Keypair kp, long n, int plaintextLen, long now) {
        anyAuthenticatedPacketTraversal(peer, now);
        if (peer.sendKeepaliveAt != Peer.OFF) {
            peer.sendKeepaliveAt = Peer.OFF; // timersAnyAuthenticatedPacketSent
        }
        if (plaintextLen > 0 && peer.newHandshakeAt == Peer.OFF) { // timersDataSent
            peer.newHandshakeAt = now + keepaliveTimeout + rekeyTimeout + jitter();
        }
        if (n >= timers.rekeyAfterMessages() || (kp.initiator && now - kp.createdNanos >= rekeyAfterTime)) {
            if (!peer.sentHandshake || now - peer.lastSentHandshakeNanos >= rekeyTimeout) {
                synchronized (peer) {
                    handshakes.sendInitiation(peer, now, false);
                }
            }
        }
    }

    void anyAuthenticatedPacketTraversal(Peer peer, long now) {
        int ka = peer.config.persistentKeepaliveSeconds();
        if (ka > 0) {
            peer.persistentKeepaliveAt = now + ka * 1_000_000_000L;
        }
    }

    private Action stage(Peer peer, ByteBuffer ip, long now, PacketResult r) {
        byte[] copy = new byte[ip.remaining()];
        ip.get(copy);
        boolean full;
        synchronized (peer) {
            full = peer.staged.size() >= Peer.MAX_STAGED;
            if (full) {
                peer.staged.pollFirst();
            }
            peer.staged.addLast(copy);
            sendStaged(peer, now, r.cipher());
        }
        if (full) {
            count(DropReason.STAGED_QUEUE_FULL);
        }
        return Action.NONE;
    }

    /** wireguard-go's SendStagedPackets: seals staged packets on a valid session, else starts a handshake. Guarded. */
    private void sendStaged(Peer peer, long now, TransportCipher cipher) {
        while (!peer.staged.isEmpty()) {
            Keypair kp = peer.current;
            if (kp == null || now - kp.createdNanos >= rejectAfterTime) {
                handshakes.sendInitiation(peer, now, false);
                return;
            }
            byte[] pkt = peer.staged.peekFirst();
            long n = kp.sendNonce.getAndIncrement();
            if (n >= timers.rejectAfterMessages() || n < 0) {
                handshakes.sendInitiation(peer, now, false);
                return;
            }
            peer.staged.pollFirst();
            int padLen = ((pkt.length + 15) & ~15) - pkt.length;
            ByteBuffer out = ByteBuffer.allocate(pkt.length + padLen + MAX_OVERHEAD);
            sealInto(kp, n, ByteBuffer.wrap(pkt), padLen, out, cipher);
            peer.txBytes.addAndGet(out.capacity());
            transportPacketsSent.increment();
            transmits.add(new Transmit(peer.key, peer.endpoint, out.array()));
            afterSend(peer, kp, n, pkt.length, now);
        }
    }

    /** wireguard-go's SendKeepalive: an empty packet unless others are already staged. Guarded. */
    void sendKeepalive(Peer peer, long now, TransportCipher cipher) {
        if (peer.staged.isEmpty()) {
            peer.staged.addLast(new byte[0]);
        }
        sendStaged(peer, now, cipher);
    }

    /** Whether handshake messages currently need mac2. */
    public boolean isUnderLoad(long nowNanos) {
        return load.isUnderLoad(nowNanos);
    }

    // ---------------------------------------------------------------------------------------------- inbound

    /**
     * Inbound datagram from {@code from} (null = arrived over the relay: never used for roaming) -> IP packet for TUN
     * (WRITE_TUN), or a reply datagram (SEND: handshake response / cookie reply), or NONE (keepalive, consumed).
     */
    public Action decapsulate(InetSocketAddress from, ByteBuffer datagram, ByteBuffer dst, long nowNanos,
            PacketResult result) {
        result.clear();
        DropReason bad = WgMessage.check(datagram);
        if (bad != null) {
            return drop(result, bad);
        }
        return switch (datagram.get(datagram.position())) {
            case WgMessage.TYPE_TRANSPORT -> handleTransport(from, datagram, dst, nowNanos, result);
            case WgMessage.TYPE_INITIATION -> handshakes.handleInitiation(from, datagram, dst, nowNanos, result);
            case WgMessage.TYPE_RESPONSE -> handshakes.handleResponse(from, datagram, nowNanos, result, dst);
            case WgMessage.TYPE_COOKIE_REPLY -> handshakes.handleCookieReply(datagram, nowNanos, result);
            default -> drop(result, DropReason.UNKNOWN_TYPE);
        };
    }

    private Action handleTransport(InetSocketAddress from, ByteBuffer dg, ByteBuffer dst, long now,
            PacketResult r) {
        int p = dg.position();
        int len = dg.remaining();
        int receiver = LittleEndian.readInt(dg, p + 4);
        long counter = LittleEndian.readLong(dg, p + 8);
        if (!(indices.get(receiver) instanceof Keypair kp)) {
            return drop(r, DropReason.UNKNOWN_INDEX);
        }
        Peer peer = kp.peer;
        r.peer = peer.key;
        if (now - kp.createdNanos >= rejectAfterTime
                || Long.compareUnsigned(counter, timers.rejectAfterMessages()) >= 0) {
            return drop(r, DropReason.SESSION_EXPIRED);
        }
        int plainLen = len - MAX_OVERHEAD;
        if (dst.remaining() < plainLen) {
            return drop(r, DropReason.OVERSIZED);
        }
        int start = dst.position();
        dg.position(p + WgMessage.TRANSPORT_HEADER_LEN);
        int n = r.cipher().open(kp.receiveKey, counter, dg, dst);
        if (n < 0) {
            dst.position(start);
            return drop(r, DropReason.DECRYPT_FAILED);
        }
        if (!kp.validateCounter(counter, timers.rejectAfterMessages())) {
            dst.position(start);
            return drop(r, DropReason.REPLAYED);
        }
        // authenticated from here on
        if (from != null && !from.equals(peer.endpoint)) {
            peer.endpoint = from;
        }
        r.endpoint = peer.endpoint;
        if (kp == peer.next) {
            receivedWithKeypair(peer, kp, now, r.cipher());
        }
        keepKeyFreshReceiving(peer, now);
        anyAuthenticatedPacketTraversal(peer, now);
        if (peer.newHandshakeAt != Peer.OFF) {
            peer.newHandshakeAt = Peer.OFF; // timersAnyAuthenticatedPacketReceived
        }
        peer.rxBytes.addAndGet(len);
        transportPacketsReceived.increment();
        if (n == 0) {
            dst.limit(start).position(start);
            return Action.NONE; // keepalive
        }
        if (peer.sendKeepaliveAt == Peer.OFF) { // timersDataReceived
            peer.sendKeepaliveAt = now + keepaliveTimeout;
        } else {
            peer.needAnotherKeepalive = true;
        }
        int version = (dst.get(start) & 0xff) >>> 4;
        int ipLen;
        Peer owner;
        if (version == 4 && n >= 20) {
            ipLen = (dst.get(start + 2) & 0xff) << 8 | (dst.get(start + 3) & 0xff);
            if (ipLen < 20 || ipLen > n) {
                dst.position(start);
                return drop(r, DropReason.MALFORMED);
            }
            owner = routes.lookup(dst, start + 12, 4);
        } else if (version == 6 && n >= 40) {
            ipLen = 40 + ((dst.get(start + 4) & 0xff) << 8 | (dst.get(start + 5) & 0xff));
            if (ipLen > n) {
                dst.position(start);
                return drop(r, DropReason.MALFORMED);
            }
            owner = routes.lookup(dst, start + 8, 16);
        } else {
            dst.position(start);
            return drop(r, DropReason.MALFORMED);
        }
        if (owner != peer) {
            dst.position(start);
            return drop(r, DropReason.SOURCE_NOT_ALLOWED);
        }
        dst.limit(start + ipLen).position(start);
        return Action.WRITE_TUN;
    }

    /** First packet on the responder's next keypair confirms the session (wireguard-go's ReceivedWithKeypair). */
    private void receivedWithKeypair(Peer peer, Keypair kp, long now, TransportCipher cipher) {
        synchronized (peer) {
            if (peer.next != kp) {
                return;
            }
            Keypair old = peer.previous;
            peer.previous = peer.current;
            handshakes.deleteKeypair(old);
            peer.current = kp;
            peer.next = null;
            handshakes.handshakeComplete(peer);
            sendStaged(peer, now, cipher);
        }
    }

    /** The initiator rekeys when receiving on a session about to expire (keepKeyFreshReceiving). */
    private void keepKeyFreshReceiving(Peer peer, long now) {
        if (peer.sentLastMinuteHandshake) {
            return;
        }
        Keypair kp = peer.current;
        if (kp != null && kp.initiator
                && now - kp.createdNanos >= rejectAfterTime - keepaliveTimeout - rekeyTimeout) {
            synchronized (peer) {
                peer.sentLastMinuteHandshake = true;
                handshakes.sendInitiation(peer, now, false);
            }
        }
    }

    // ---------------------------------------------------------------------------------------------- timers

    /** Drives timers (call every ~100 ms or at {@link #nextDeadline()}). Outputs go to {@link #pollTransmit()}. */
    public synchronized void tick(long nowNanos) {
        TransportCipher cipher = tickScratch.cipher();
        for (Peer peer : peers.values()) {
            synchronized (peer) {
                if (peers.get(peer.key) != peer) {
                    continue;
                }
                tickPeer(peer, nowNanos, cipher);
            }
        }
        load.expire(nowNanos);
    }

    private void tickPeer(Peer peer, long now, TransportCipher cipher) {
        if (peer.keepaliveOnNextTick) {
            peer.keepaliveOnNextTick = false;
            sendKeepalive(peer, now, cipher);
        }
        if (due(peer.retransmitHandshakeAt, now)) {
            peer.retransmitHandshakeAt = Peer.OFF;
            if (peer.handshakeAttempts >= maxHandshakeAttempts) {
                // give up (wireguard-go's expiredRetransmitHandshake)
                peer.sendKeepaliveAt = Peer.OFF;
                int n = peer.staged.size();
                peer.staged.clear();
                drops.addAndGet(DropReason.HANDSHAKE_GAVE_UP.ordinal(), n);
                handshakes.dropHandshake(peer);
                if (peer.zeroKeyMaterialAt == Peer.OFF) {
                    peer.zeroKeyMaterialAt = now + 3 * rejectAfterTime;
                }
            } else {
                peer.handshakeAttempts++;
                handshakes.sendInitiation(peer, now, true);
            }
        }
        if (due(peer.sendKeepaliveAt, now)) {
            peer.sendKeepaliveAt = Peer.OFF;
            sendKeepalive(peer, now, cipher);
            if (peer.needAnotherKeepalive) {
                peer.needAnotherKeepalive = false;
                peer.sendKeepaliveAt = now + keepaliveTimeout;
            }
        }
        if (due(peer.newHandshakeAt, now)) {
            peer.newHandshakeAt = Peer.OFF;
            handshakes.sendInitiation(peer, now, false);
        }
        if (due(peer.zeroKeyMaterialAt, now)) {
            peer.zeroKeyMaterialAt = Peer.OFF;
            handshakes.zeroAndFlush(peer);
        }
        if (due(peer.persistentKeepaliveAt, now)) {
            peer.persistentKeepaliveAt = Peer.OFF;
            if (peer.config.persistentKeepaliveSeconds() > 0) {
                sendKeepalive(peer, now, cipher);
            }
        }
    }

    private static boolean due(long deadline, long now) {
        return deadline != Peer.OFF && now - deadline >= 0;
    }

    /** The earliest nanoTime at which {@link #tick} has work, or {@code Long.MAX_VALUE} if none is pending. */
    public long nextDeadline() {
        long d = Long.MAX_VALUE;
        for (Peer p : peers.values()) {
            if (p.keepaliveOnNextTick) {
                return Long.MIN_VALUE;
            }
            d = Math.min(d, p.earliestDeadline());
        }
        return d;
    }

    /** The next datagram to send, null when empty; thread-safe. */
    public Transmit pollTransmit() {
        return transmits.poll();
    }

    public Map<DropReason, Long> dropCounts() {
        Map<DropReason, Long> m = new EnumMap<>(DropReason.class);
        for (DropReason r : DropReason.values()) {
            long v = drops.get(r.ordinal());
            if (v != 0) {
                m.put(r, v);
            }
        }
        return m;
    }

    /** Handshakes completed (as initiator or responder), over the engine's life. */
    /** Transport packets sealed and sent (data and keepalives), over all peers since start. */
    public long transportPacketsSent() {
        return transportPacketsSent.sum();
    }

    /** Transport packets received and authenticated (data and keepalives), over all peers since start. */
    public long transportPacketsReceived() {
        return transportPacketsReceived.sum();
    }

    public long handshakesCompleted() {
        return handshakesCompleted.get();
    }

    public long dropCount(DropReason reason) {
        return drops.get(reason.ordinal());
    }

    // ---------------------------------------------------------------------------------------------- helpers

    Action drop(PacketResult r, DropReason reason) {
        drops.incrementAndGet(reason.ordinal());
        r.dropReason = reason;
        return Action.DROP;
    }

    void count(DropReason reason) {
        drops.incrementAndGet(reason.ordinal());
    }

    int allocateIndex(Object entry) {
        while (true) {
            int i;
            synchronized (rng) {
                i = rng.nextInt();
            }
            if (indices.putIfAbsent(i, entry) == null) {
                return i;
            }
        }
    }

    byte[] randomBytes(int n) {
        byte[] b = new byte[n];
        synchronized (rng) {
            rng.nextBytes(b);
        }
        return b;
    }

    long jitter() {
        long max = WgTimers.REKEY_TIMEOUT_JITTER_MAX.toNanos();
        synchronized (rng) {
            return rng.nextLong(max + 1);
        }
    }

    /** Serialises a shared generator for the cookie checker. */
    private record LockedRandom(RandomGenerator delegate) implements RandomGenerator {
        @Override
        public long nextLong() {
            synchronized (delegate) {
                return delegate.nextLong();
            }
        }

        @Override
        public void nextBytes(byte[] bytes) {
            synchronized (delegate) {
                delegate.nextBytes(bytes);
            }
        }
    }
}
