package dev.gridmesh.relay.server;

import dev.gridmesh.protocol.net.IpPrefix;
import dev.gridmesh.protocol.relay.Frames;
import dev.gridmesh.relay.cluster.ClusterOptions;
import dev.gridmesh.relay.store.StoreLocation;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * Process-wide settings of a relay, fixed at start.
 *
 * @param stateDir holds the store, the self-signed certificate and the admin socket
 * @param listen TCP address for TLS (default {@code :8443}); port 0 picks a free one
 * @param stunListen UDP address for STUN (default {@code :3478}), or null for no STUN
 * @param certFile PEM chain of a CA-signed certificate, or null for the self-signed one in the state dir
 * @param keyFile PEM private key for {@code certFile}, or null
 * @param overlayRange where node addresses come from (default 100.64.0.0/10)
 * @param pingInterval a quiet connection gets a Ping this often
 * @param deadAfter a connection with no inbound frame for this long is closed
 * @param handshakeTimeout TLS handshake and HTTP upgrade must finish within this
 * @param authTimeout registration must succeed within this after the upgrade
 * @param maxPayload largest frame payload accepted
 * @param writeLowWater / writeHighWater Netty write-buffer water marks per connection: relayed packets for a
 *     connection above the high mark are dropped and counted
 * @param controlQueueLimit a connection that asks for replies (Ping, stream frames) while its unsent bytes exceed
 *     this is closed as a slow consumer (peer-map updates are never queued: see docs/relay-protocol.md)
 * @param adminSocket whether to serve the admin socket in the state dir
 * @param preAuthMaxTotal / preAuthMaxPerAddress connections not yet authenticated (TLS, upgrade, registration)
 *     allowed at once, in total and per source address; more are closed at accept (counted PRE_AUTH_LIMIT)
 * @param store where the registry lives: the embedded H2 file in the state dir, or etcd shared by several relays
 * @param cluster the relay-to-relay link, used with an etcd store (docs/multi-relay.md)
 */
public record RelayConfig(Path stateDir, InetSocketAddress listen, InetSocketAddress stunListen, Path certFile,
                          Path keyFile, IpPrefix overlayRange, Duration pingInterval, Duration deadAfter,
                          Duration handshakeTimeout, Duration authTimeout, int maxPayload, int writeLowWater,
                          int writeHighWater, long controlQueueLimit, boolean adminSocket, int preAuthMaxTotal,
                          int preAuthMaxPerAddress, StoreLocation store, ClusterOptions cluster) {
    public static final int DEFAULT_PORT = 8443;
    public static final int DEFAULT_STUN_PORT = 3478;
    public static final IpPrefix DEFAULT_RANGE = IpPrefix.parse("100.64.0.0/10");

    public RelayConfig {
        Objects.requireNonNull(stateDir, "stateDir");
        Objects.requireNonNull(listen, "listen");
        Objects.requireNonNull(overlayRange, "overlayRange");
        Objects.requireNonNull(store, "store");
        Objects.requireNonNull(cluster, "cluster");
        if ((certFile == null) != (keyFile == null)) {
            throw new IllegalArgumentException("--cert and --key go together");
        }
        if (!overlayRange.isIpv4() || overlayRange.bits() > 30) {
            throw new IllegalArgumentException("overlay range: " + overlayRange + " (expected: an IPv4 prefix of /30 or larger)");
        }
        if (preAuthMaxTotal <= 0 || preAuthMaxPerAddress <= 0) {
            throw new IllegalArgumentException("pre-auth limits " + preAuthMaxTotal + "/" + preAuthMaxPerAddress + " (expected: > 0)");
        }
        if (writeLowWater <= 0 || writeHighWater < writeLowWater) {
            throw new IllegalArgumentException("write water marks " + writeLowWater + "/" + writeHighWater);
        }
    }

    /** Defaults for a state dir: :8443, STUN :3478, self-signed, 100.64.0.0/10, ping 5 s, dead after 15 s. */
    public static RelayConfig defaults(Path stateDir) {
        return new RelayConfig(stateDir, new InetSocketAddress(DEFAULT_PORT), new InetSocketAddress(DEFAULT_STUN_PORT),
                null, null, DEFAULT_RANGE, Duration.ofSeconds(5), Duration.ofSeconds(15), Duration.ofSeconds(10),
                Duration.ofSeconds(10), Frames.MAX_PAYLOAD, 512 * 1024, 1024 * 1024, 8L * 1024 * 1024, true, 10_000, 256,
                new StoreLocation.Embedded(), ClusterOptions.DEFAULT);
    }

    public RelayConfig withListen(InetSocketAddress l, InetSocketAddress stun) {
        return new RelayConfig(stateDir, l, stun, certFile, keyFile, overlayRange, pingInterval, deadAfter,
                handshakeTimeout, authTimeout, maxPayload, writeLowWater, writeHighWater, controlQueueLimit, adminSocket, preAuthMaxTotal, preAuthMaxPerAddress, store, cluster);
    }

    public RelayConfig withCertificate(Path cert, Path key) {
        return new RelayConfig(stateDir, listen, stunListen, cert, key, overlayRange, pingInterval, deadAfter,
                handshakeTimeout, authTimeout, maxPayload, writeLowWater, writeHighWater, controlQueueLimit, adminSocket, preAuthMaxTotal, preAuthMaxPerAddress, store, cluster);
    }

    public RelayConfig withOverlayRange(IpPrefix range) {
        return new RelayConfig(stateDir, listen, stunListen, certFile, keyFile, range, pingInterval, deadAfter,
                handshakeTimeout, authTimeout, maxPayload, writeLowWater, writeHighWater, controlQueueLimit, adminSocket, preAuthMaxTotal, preAuthMaxPerAddress, store, cluster);
    }

    public RelayConfig withTimeouts(Duration ping, Duration dead, Duration handshake, Duration auth) {
        return new RelayConfig(stateDir, listen, stunListen, certFile, keyFile, overlayRange, ping, dead,
                handshake, auth, maxPayload, writeLowWater, writeHighWater, controlQueueLimit, adminSocket, preAuthMaxTotal, preAuthMaxPerAddress, store, cluster);
    }

    public RelayConfig withPreAuthLimits(int total, int perAddress) {
        return new RelayConfig(stateDir, listen, stunListen, certFile, keyFile, overlayRange, pingInterval, deadAfter,
                handshakeTimeout, authTimeout, maxPayload, writeLowWater, writeHighWater, controlQueueLimit, adminSocket,
                total, perAddress, store, cluster);
    }

    public RelayConfig withWriteLimits(int low, int high, long controlLimit) {
        return new RelayConfig(stateDir, listen, stunListen, certFile, keyFile, overlayRange, pingInterval, deadAfter,
                handshakeTimeout, authTimeout, maxPayload, low, high, controlLimit, adminSocket, preAuthMaxTotal, preAuthMaxPerAddress, store, cluster);
    }

    public RelayConfig withStore(StoreLocation s) {
        return new RelayConfig(stateDir, listen, stunListen, certFile, keyFile, overlayRange, pingInterval, deadAfter,
                handshakeTimeout, authTimeout, maxPayload, writeLowWater, writeHighWater, controlQueueLimit, adminSocket,
                preAuthMaxTotal, preAuthMaxPerAddress, s, cluster);
    }

    public RelayConfig withCluster(ClusterOptions c) {
        return new RelayConfig(stateDir, listen, stunListen, certFile, keyFile, overlayRange, pingInterval, deadAfter,
                handshakeTimeout, authTimeout, maxPayload, writeLowWater, writeHighWater, controlQueueLimit, adminSocket,
                preAuthMaxTotal, preAuthMaxPerAddress, store, c);
    }
}
