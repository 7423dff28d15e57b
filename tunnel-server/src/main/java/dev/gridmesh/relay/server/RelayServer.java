package dev.gridmesh.relay.server;

import dev.gridmesh.nat.stun.StunServer;
import dev.gridmesh.protocol.netty.TlsProvider;
import dev.gridmesh.nat.stun.StunUdpServer;
import dev.gridmesh.relay.admin.AdminServer;
import dev.gridmesh.relay.store.Store;
import dev.gridmesh.relay.store.StoreException;
import dev.gridmesh.relay.tls.RelayCertificate;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import java.io.IOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running relay: TLS on one TCP port (HTTP upgrade to the frame protocol, {@code /healthz}), STUN on UDP, the
 * store and the admin socket in the state dir. {@link #start} returns once everything listens; {@link #close}
 * stops it (connections get Error(SHUTTING_DOWN)).
 */
public final class RelayServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(RelayServer.class);

    private final RelayConfig config;
    private final Store store;
    private final ExecutorService storeExecutor;
    private final EventLoopGroup boss;
    private final EventLoopGroup workers;
    private final Channel serverChannel;
    private final StunUdpServer stun;
    private final AdminServer admin;
    private final RelayContext rc;
    private final RelayAdmin relayAdmin;
    private final String pin;
    private final boolean epoll;
    private volatile dev.gridmesh.relay.tunnel.TunnelService tunnels; // set once by start
    private volatile dev.gridmesh.relay.cluster.RelayCluster cluster; // set once by start, with an etcd store

    private RelayServer(RelayConfig config, Store store, ExecutorService storeExecutor, EventLoopGroup boss,
                        EventLoopGroup workers, Channel serverChannel, StunUdpServer stun, AdminServer admin,
                        RelayContext rc, RelayAdmin relayAdmin, String pin, boolean epoll) {
        this.config = config;
        this.store = store;
        this.storeExecutor = storeExecutor;
        this.boss = boss;
        this.workers = workers;
        this.serverChannel = serverChannel;
        this.stun = stun;
        this.admin = admin;
        this.rc = rc;
        this.relayAdmin = relayAdmin;
        this.pin = pin;
        this.epoll = epoll;
    }

    /** Opens the store, loads or makes the certificate, binds TCP (and UDP for STUN), starts the admin socket. */
    public static RelayServer start(RelayConfig config, Clock clock) throws IOException, StoreException {
        Path dir = config.stateDir();
        if (!Files.isDirectory(dir)) {
            Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        }
        SecureRandom random = new SecureRandom();
        RelayCertificate cert = config.certFile() != null
                ? RelayCertificate.load(config.certFile(), config.keyFile())
                : RelayCertificate.loadOrCreate(dir, clock.instant(), random);
        SslContext ssl = TlsProvider.tls13(SslContextBuilder.forServer(cert.key(), cert.chain())).build();
        Store store = config.store().open(dir);
        ExecutorService storeExecutor = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "relay-store");
            t.setDaemon(true);
            return t;
        });
        boolean epoll = Epoll.isAvailable();
        EventLoopGroup boss = null;
        EventLoopGroup workers = null;
        StunUdpServer stun = null;
        AdminServer admin = null;
        Channel ch = null;
        dev.gridmesh.relay.cluster.RelayCluster cluster = null;
        try {
            RelayHub hub = new RelayHub(store.nodes());
            dev.gridmesh.relay.tunnel.TunnelService tunnels = new dev.gridmesh.relay.tunnel.TunnelService(dir, hub, clock, config.maxPayload());
            RelayContext rc = new RelayContext(config, new RelayMetrics(), hub, store, storeExecutor, clock, random,
                    new PreAuthLimiter(config.preAuthMaxTotal(), config.preAuthMaxPerAddress()));
            boss = new MultiThreadIoEventLoopGroup(1, epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory());
            workers = new MultiThreadIoEventLoopGroup(0, epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory());
            ServerBootstrap b = new ServerBootstrap()
                    .group(boss, workers)
                    .channel(epoll ? EpollServerSocketChannel.class : NioServerSocketChannel.class)
                    .option(ChannelOption.SO_BACKLOG, 4096)
                    .childOption(ChannelOption.TCP_NODELAY, true)
                    .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK,
                            new WriteBufferWaterMark(config.writeLowWater(), config.writeHighWater()))
                    .childAttr(dev.gridmesh.relay.tunnel.TunnelService.KEY, tunnels)
                    .childHandler(new RelayChannelInitializer(ssl, rc));
            var f = b.bind(config.listen()).awaitUninterruptibly();
            if (!f.isSuccess()) {
                BindException e = new BindException("relay: cannot listen on tcp " + config.listen() + ": " + f.cause().getMessage());
                e.initCause(f.cause());
                throw e;
            }
            ch = f.channel();
            ch.closeFuture().addListener(done -> tunnels.close());
            if (config.stunListen() != null) {
                stun = bindStun(config.stunListen());
            }
            RelayAdmin relayAdmin = new RelayAdmin(rc, tunnels);
            if (config.adminSocket()) {
                admin = AdminServer.start(AdminServer.socketPath(dir), relayAdmin);
            }
            if (store instanceof dev.gridmesh.relay.store.etcd.EtcdStore es) { // several relays, one mesh
                cluster = dev.gridmesh.relay.cluster.RelayCluster.start(es, hub, config.cluster(),
                        (InetSocketAddress) ch.localAddress(), cert, storeExecutor);
                cluster.acceptStreams(tunnels::relayPeer); // engineer streams from other relays (docs/multi-relay.md)
            }
            RelayServer s = new RelayServer(config, store, storeExecutor, boss, workers, ch, stun, admin, rc, relayAdmin,
                    cert.pin(), epoll);
            s.tunnels = tunnels;
            s.cluster = cluster;
            log.info("relay: listening on tcp {} ({}, tls {}), stun {}, pin {}", s.tcpAddress(), epoll ? "epoll" : "nio",
                    TlsProvider.preferred().name().toLowerCase(java.util.Locale.ROOT),
                    stun == null ? "off" : stun.localAddresses(), s.pin);
            return s;
        } catch (IOException | StoreException | RuntimeException e) {
            if (cluster != null) {
                cluster.close();
            }
            if (admin != null) {
                admin.close();
            }
            if (stun != null) {
                stun.close();
            }
            if (ch != null) {
                ch.close().awaitUninterruptibly();
            }
            if (boss != null) {
                boss.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            }
            if (workers != null) {
                workers.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            }
            storeExecutor.shutdownNow();
            store.close();
            throw e;
        }
    }

    public InetSocketAddress tcpAddress() {
        return (InetSocketAddress) serverChannel.localAddress();
    }

    /** The bound STUN address, or null when STUN is off. */
    /**
     * STUN on the configured port and, best effort, on the next port too: agents ask both from one socket, and
     * whether the two answers name the same public endpoint tells an endpoint-independent NAT mapping from an
     * endpoint-dependent one (RFC 5780 section 4.3, with the port as the second "address").
     */
    private static StunUdpServer bindStun(InetSocketAddress primary) throws IOException {
        StunServer engine = new StunServer("gridmesh relay", null);
        int port = primary.getPort();
        if (port == 0 || port == 65535) {
            return StunUdpServer.bind(engine, primary);
        }
        InetSocketAddress alternate = new InetSocketAddress(primary.getAddress(), port + 1);
        try {
            return StunUdpServer.bind(engine, primary, alternate);
        } catch (IOException e) {
            log.warn("relay: stun: cannot also listen on {} ({}); NAT mapping type will be unknown to agents",
                    alternate, e.getMessage());
            return StunUdpServer.bind(new StunServer("gridmesh relay", null), primary);
        }
    }

    public InetSocketAddress stunAddress() {
        return stun == null ? null : stun.localAddresses().getFirst();
    }

    /** The certificate pin agents use: {@code sha256:<hex of the leaf's DER>}. */
    public String pin() {
        return pin;
    }

    public boolean epoll() {
        return epoll;
    }

    public RelayConfig config() {
        return config;
    }

    public RelayMetrics metrics() {
        return rc.metrics();
    }

    public StunServer stunEngine() {
        return stun == null ? null : stun.engine();
    }

    /** The engineer-tunnel service (streams opened, denied, open now). */
    public dev.gridmesh.relay.tunnel.TunnelService tunnels() {
        return tunnels;
    }

    /** The cluster layer (relays sharing one etcd), or null for a relay on its own store. */
    public dev.gridmesh.relay.cluster.RelayCluster cluster() {
        return cluster;
    }

    public RelayHub hub() {
        return rc.hub();
    }

    /** The in-process admin operations (the admin socket calls the same). */
    public RelayAdmin admin() {
        return relayAdmin;
    }

    /** The admin socket's path, or null when it is off. */
    public Path adminSocket() {
        return admin == null ? null : admin.path();
    }

    @Override
    public void close() {
        long t0 = System.nanoTime();
        if (admin != null) {
            admin.close();
        }
        serverChannel.close().awaitUninterruptibly(2, TimeUnit.SECONDS);
        dev.gridmesh.relay.cluster.RelayCluster c = cluster;
        if (c != null) {
            c.close(); // its presence and relay record go with its lease at once
        }
        rc.hub().closeAll(RelayCounter.SHUTDOWN, "relay shutting down");
        if (stun != null) {
            stun.close();
        }
        workers.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
        boss.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
        storeExecutor.shutdown();
        try {
            storeExecutor.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            store.close();
        } catch (StoreException e) {
            log.warn("relay: {}", e.getMessage());
        }
        log.info("relay: stopped in {} ms", (System.nanoTime() - t0) / 1_000_000);
    }
}
