package dev.gridmesh.testsupport.lab;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The reference WireGuard peer: {@code wireguard-go -f} (userspace; the kernel here has no WireGuard module) in a lab
 * namespace, configured with {@code wg set} and {@code ip}. The interface name must be unique machine-wide because
 * wireguard-go's UAPI socket lives in the shared /var/run/wireguard: use {@link Lab#globalIfname(String)}.
 */
public final class WireguardGo implements AutoCloseable {
    /** wireguard-go refuses to run without this when it believes a kernel module could be used. */
    public static final Map<String, String> ENV = Map.of("WG_I_PREFER_BUGGY_USERSPACE_TO_POLISHED_KMOD", "1");

    private final Netns ns;
    private final String ifname;
    private final WgKeyPair key;
    private final int listenPort;
    private final String overlayCidr;
    private final int mtu;
    private final Map<String, Peer> peers = new LinkedHashMap<>();
    private LabProcess process;

    /** A peer as {@code wg set} takes it; {@code endpoint} null = learn it from the peer's first packet. */
    public record Peer(String publicKey, String allowedIps, String endpoint, int persistentKeepalive) {}

    private WireguardGo(Netns ns, String ifname, WgKeyPair key, int listenPort, String overlayCidr, int mtu) {
        this.ns = ns;
        this.ifname = ifname;
        this.key = key;
        this.listenPort = listenPort;
        this.overlayCidr = overlayCidr;
        this.mtu = mtu;
    }

    /** Starts wireguard-go on {@code ifname} in {@code ns}, listening on {@code listenPort}, with {@code overlayCidr}. */
    public static WireguardGo start(Netns ns, String ifname, WgKeyPair key, int listenPort, String overlayCidr) {
        WireguardGo wg = new WireguardGo(ns, ifname, key, listenPort, overlayCidr, 1420);
        wg.launch();
        return wg;
    }

    private void launch() {
        Path sock = Path.of("/var/run/wireguard", ifname + ".sock");
        process = ns.spawn("wireguard-go-" + ifname, List.of("wireguard-go", "-f", ifname), ENV);
        ns.lab().await("wireguard-go " + ifname + " UAPI socket", Duration.ofSeconds(10),
                () -> {
                    if (!process.isAlive()) {
                        throw new LabException("wireguard-go exited: " + process.stderr() + process.stdout());
                    }
                    return Files.exists(sock) && ns.exec("wg", "show", ifname).ok();
                });
        Path keyFile = ns.lab().file(ifname + ".key");
        try {
            Files.deleteIfExists(keyFile);
            Files.createFile(keyFile, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            Files.writeString(keyFile, key.privateKey() + "\n");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        ns.execOk("wg", "set", ifname, "private-key", keyFile.toString(), "listen-port", Integer.toString(listenPort));
        ns.execOk("ip", "addr", "add", overlayCidr, "dev", ifname);
        ns.execOk("ip", "link", "set", ifname, "mtu", Integer.toString(mtu), "up");
        for (Peer p : peers.values()) {
            applyPeer(p);
        }
    }

    /** Adds or replaces a peer. */
    public void setPeer(Peer peer) {
        peers.put(peer.publicKey(), peer);
        applyPeer(peer);
    }

    private void applyPeer(Peer p) {
        List<String> cmd = new ArrayList<>(List.of("wg", "set", ifname, "peer", p.publicKey(),
                "allowed-ips", p.allowedIps()));
        if (p.endpoint() != null) {
            cmd.addAll(List.of("endpoint", p.endpoint()));
        }
        if (p.persistentKeepalive() > 0) {
            cmd.addAll(List.of("persistent-keepalive", Integer.toString(p.persistentKeepalive())));
        }
        ns.execOk(cmd.toArray(String[]::new));
    }

    /** The peer's latest handshake, seconds since the epoch (0 = never), from {@code wg show latest-handshakes}. */
    public long latestHandshake(String peerPublicKey) {
        return Long.parseLong(showField("latest-handshakes", peerPublicKey).orElse("0"));
    }

    /** Where wireguard-go currently sends to this peer ({@code wg show endpoints}), e.g. "198.18.3.2:51820". */
    public Optional<String> endpoint(String peerPublicKey) {
        return showField("endpoints", peerPublicKey).filter(e -> !e.equals("(none)"));
    }

    /** {@code [rx, tx]} bytes for the peer ({@code wg show transfer}). */
    public long[] transfer(String peerPublicKey) {
        String out = ns.execOk("wg", "show", ifname, "transfer").stdout();
        for (String line : out.split("\n")) {
            String[] f = line.trim().split("\\s+");
            if (f.length == 3 && f[0].equals(peerPublicKey)) {
                return new long[] {Long.parseLong(f[1]), Long.parseLong(f[2])};
            }
        }
        return new long[] {0, 0};
    }

    private Optional<String> showField(String field, String peerPublicKey) {
        String out = ns.execOk("wg", "show", ifname, field).stdout();
        for (String line : out.split("\n")) {
            String[] f = line.trim().split("\\s+");
            if (f.length == 2 && f[0].equals(peerPublicKey)) {
                return Optional.of(f[1]);
            }
        }
        return Optional.empty();
    }

    /** Kills wireguard-go outright (SIGKILL: no clean shutdown), as a crash would. */
    public void kill() {
        process.kill();
        try {
            Files.deleteIfExists(Path.of("/var/run/wireguard", ifname + ".sock"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        // the TUN device goes away with its process; wait so that a restart can recreate it
        ns.lab().await(ifname + " gone", Duration.ofSeconds(10), () -> !ns.exec("ip", "link", "show", ifname).ok());
    }

    /** Starts wireguard-go again with the same key, port, address and peers (new sessions: a reboot). */
    public void restart() {
        if (process.isAlive()) {
            kill();
        }
        launch();
    }

    public Netns netns() {
        return ns;
    }

    public String ifname() {
        return ifname;
    }

    public WgKeyPair key() {
        return key;
    }

    public int listenPort() {
        return listenPort;
    }

    public LabProcess process() {
        return process;
    }

    @Override
    public void close() {
        if (process != null) {
            process.stop();
        }
    }
}
