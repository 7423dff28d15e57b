package dev.gridmesh.integration.wg;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gridmesh.testsupport.lab.ExecResult;
import dev.gridmesh.testsupport.lab.LabException;
import dev.gridmesh.testsupport.lab.LabProcess;
import dev.gridmesh.testsupport.lab.Netns;
import dev.gridmesh.testsupport.lab.WgKeyPair;
import dev.gridmesh.testsupport.lab.WireguardGo;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A gridmesh WireGuard interface in a lab namespace: a wg-quick config written to the log dir as {@code IFNAME.conf}
 * (wg-quick names the interface after the file) and {@code gridmesh wg-quick up FILE} in the foreground.
 */
final class GridmeshNode implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Netns ns;
    private final String ifname;
    private final WgKeyPair key;
    private final Path config;
    private final List<String> extraArgs;
    private LabProcess process;
    private int starts;

    private GridmeshNode(Netns ns, String ifname, WgKeyPair key, Path config, List<String> extraArgs) {
        this.ns = ns;
        this.ifname = ifname;
        this.key = key;
        this.config = config;
        this.extraArgs = List.copyOf(extraArgs);
    }

    /**
     * Writes the config and starts {@code gridmesh wg-quick up}; returns once the interface is up.
     *
     * @param peers     peers in wg-quick form ({@link WireguardGo.Peer}; endpoint null = learn it)
     * @param extraArgs options after the file, e.g. short test timers
     */
    static GridmeshNode start(Netns ns, String ifname, WgKeyPair key, int listenPort, String overlayCidr,
            List<WireguardGo.Peer> peers, List<String> extraArgs) {
        StringBuilder conf = new StringBuilder()
                .append("# written by ").append(GridmeshNode.class.getName()).append('\n')
                .append("[Interface]\n")
                .append("PrivateKey = ").append(key.privateKey()).append('\n')
                .append("Address = ").append(overlayCidr).append('\n')
                .append("ListenPort = ").append(listenPort).append('\n')
                .append("MTU = 1420\n");
        for (WireguardGo.Peer p : peers) {
            conf.append("\n[Peer]\n")
                    .append("PublicKey = ").append(p.publicKey()).append('\n')
                    .append("AllowedIPs = ").append(p.allowedIps()).append('\n');
            if (p.endpoint() != null) {
                conf.append("Endpoint = ").append(p.endpoint()).append('\n');
            }
            if (p.persistentKeepalive() > 0) {
                conf.append("PersistentKeepalive = ").append(p.persistentKeepalive()).append('\n');
            }
        }
        Path file = ns.lab().file(ifname + ".conf");
        try {
            Files.deleteIfExists(file);
            Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            Files.writeString(file, conf);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        GridmeshNode node = new GridmeshNode(ns, ifname, key, file, extraArgs);
        node.launch();
        return node;
    }

    private void launch() {
        List<String> args = new ArrayList<>(List.of("wg-quick", "up", config.toString()));
        args.addAll(extraArgs);
        starts++;
        process = ns.spawn("gridmesh-" + ifname + (starts > 1 ? "-start" + starts : ""),
                Gridmesh.command(args.toArray(String[]::new)));
        ns.lab().await("gridmesh " + ifname + " up", Gridmesh.startTimeout(), () -> {
            if (!process.isAlive()) {
                throw new LabException("gridmesh wg-quick up exited early:\n" + process.stderr() + process.stdout());
            }
            // cheap checks first: every show() is a JVM start
            return Files.exists(Path.of("/run/gridmesh", ifname + ".sock"))
                    && ns.exec("ip", "-o", "link", "show", ifname, "up").stdout().contains(ifname)
                    && show().isPresent();
        });
    }

    /** {@code gridmesh wg-quick show IFNAME --json} parsed, or empty while the interface does not answer. */
    Optional<JsonNode> show() {
        ExecResult r = ns.exec(Gridmesh.command("wg-quick", "show", ifname, "--json").toArray(String[]::new));
        if (!r.ok()) {
            return Optional.empty();
        }
        try {
            return Optional.of(JSON.readTree(r.stdout()));
        } catch (IOException e) {
            throw new AssertionError("gridmesh wg-quick show --json printed no JSON: " + r.stdout(), e);
        }
    }

    private Optional<JsonNode> peer(String publicKey) {
        return show().flatMap(s -> {
            for (JsonNode p : s.path("peers")) {
                if (publicKey.equals(p.path("publicKey").asText())) {
                    return Optional.of(p);
                }
            }
            return Optional.empty();
        });
    }

    /** The peer's latest handshake in epoch milliseconds (0 = never), as {@code show --json} reports it. */
    long latestHandshakeMillis(String peerPublicKey) {
        return peer(peerPublicKey).map(p -> p.path("latestHandshakeEpochMillis").asLong()).orElse(0L);
    }

    /** The endpoint gridmesh currently sends to for this peer, e.g. "198.18.3.2:51820". */
    Optional<String> endpoint(String peerPublicKey) {
        return peer(peerPublicKey).map(p -> p.path("endpoint")).filter(e -> !e.isNull() && !e.isMissingNode())
                .map(JsonNode::asText);
    }

    /** SIGKILL: a crash, no clean shutdown. Waits for the interface to disappear. */
    void kill() {
        process.kill();
        ns.lab().await(ifname + " gone after kill", java.time.Duration.ofSeconds(10),
                () -> !ns.exec("ip", "link", "show", ifname).ok());
    }

    /** Starts gridmesh again from the same config (a reboot: new sessions). */
    void restart() {
        if (process.isAlive()) {
            kill();
        }
        launch();
    }

    Netns netns() {
        return ns;
    }

    String ifname() {
        return ifname;
    }

    WgKeyPair key() {
        return key;
    }

    LabProcess process() {
        return process;
    }

    @Override
    public void close() {
        if (process != null) {
            process.stop();
        }
    }
}
