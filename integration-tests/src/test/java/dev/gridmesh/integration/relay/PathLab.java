package dev.gridmesh.integration.relay;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gridmesh.testsupport.lab.Lab;
import dev.gridmesh.testsupport.lab.LabProcess;
import dev.gridmesh.testsupport.lab.Link;
import dev.gridmesh.testsupport.lab.NatKind;
import dev.gridmesh.testsupport.lab.Netns;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The direct-path lab: one relay on a shared "internet", agents alpha and beta behind routers whose kind
 * ({@link NatKind}) is reconfigured between scenarios, and a third agent gamma on a second LAN of alpha's router.
 * <pre>
 *   gm&lt;run&gt;a  alpha 198.18.1.2 ---- 198.18.1.1  gm&lt;run&gt;na  198.18.10.2 ---- 198.18.10.1  gm&lt;run&gt;inet
 *   gm&lt;run&gt;c  gamma 198.18.3.2 ---- 198.18.3.1  (router A)                      relay TLS + STUN 198.18.10.1:3478
 *                                                                               coturn STUN    198.18.20.1:3478
 *   gm&lt;run&gt;b  beta  198.18.2.2 ---- 198.18.2.1  gm&lt;run&gt;nb  198.18.20.2 ---- 198.18.20.1
 * </pre>
 * The internet routes both LANs (so a ROUTED router means "no NAT"); each NAT kind adds its rules on top. Agents
 * are told both STUN servers (two addresses: the mapping is classified across addresses). Status is read straight
 * from each agent's local API socket (a unix socket on the shared filesystem: no JVM per poll).
 */
final class PathLab implements AutoCloseable {
    static final ObjectMapper JSON = new ObjectMapper();
    static final String STUN1 = "198.18.10.1:3478";
    static final String STUN2 = "198.18.20.1:3478";

    final Lab lab;
    final Netns a;
    final Netns na;
    final Netns inet;
    final Netns nb;
    final Netns b;
    final Netns c;
    final Link aLan;
    final Link aWan;
    final Link bLan;
    final Link bWan;
    final Link cLan;
    final String dirA;
    final String dirB;
    final String dirC;
    final String relayDir;
    RelayMeshTest.Relay relay;
    /** This lab's own copy of the distribution: another test run in the same tree may replace the shared one. */
    final Path lib;
    String token;
    private final List<LabProcess> others = new ArrayList<>();

    PathLab(Lab lab) {
        this.lab = lab;
        a = lab.netns("a");
        na = lab.netns("na");
        inet = lab.netns("inet");
        nb = lab.netns("nb");
        b = lab.netns("b");
        c = lab.netns("c");
        aLan = lab.link(a, "198.18.1.2/24", na, "198.18.1.1/24");
        cLan = lab.link(c, "198.18.3.2/24", na, "198.18.3.1/24");
        aWan = lab.link(na, "198.18.10.2/24", inet, "198.18.10.1/24");
        bLan = lab.link(b, "198.18.2.2/24", nb, "198.18.2.1/24");
        bWan = lab.link(nb, "198.18.20.2/24", inet, "198.18.20.1/24");
        a.defaultRoute(aLan.bIp());
        c.defaultRoute(cLan.bIp());
        b.defaultRoute(bLan.bIp());
        na.defaultRoute(aWan.bIp());
        nb.defaultRoute(bWan.bIp());
        inet.enableForwarding();
        inet.route("198.18.1.0/24", aWan.aIp());
        inet.route("198.18.3.0/24", aWan.aIp());
        inet.route("198.18.2.0/24", bWan.aIp());
        lib = privateLib(lab);
        relayDir = RelayMeshTest.fresh(lab, "relay-state");
        dirA = RelayMeshTest.fresh(lab, "agent-a");
        dirB = RelayMeshTest.fresh(lab, "agent-b");
        dirC = RelayMeshTest.fresh(lab, "agent-c");
    }

    void startRelayAndStun() {
        relay = startRelay();
        token = inet.execOk(GridmeshCli.command("relay", "token", "create", "--reusable", "--expires", "1h",
                "--state-dir", relayDir).toArray(String[]::new)).stdout().strip();
        others.add(inet.spawn("coturn", List.of("turnserver", "--stun-only", "-L", "198.18.20.1", "-p", "3478",
                "--no-cli", "-n", "--no-tls", "--no-dtls", "--log-file", "stdout",
                "--pidfile", lab.file("coturn.pid").toString())));
        lab.await("coturn STUN on 198.18.20.1:3478", Duration.ofSeconds(20),
                () -> inet.exec("ss", "-lun").stdout().contains("198.18.20.1:3478"));
    }

    private RelayMeshTest.Relay startRelay() {
        LabProcess p = inet.spawn("relay", java("relay", List.of("-Xmx256m"), "relay", "--state-dir", relayDir,
                "--listen", "0.0.0.0:0", "--stun-listen", STUN1));
        java.util.concurrent.atomic.AtomicReference<java.util.regex.Matcher> port = new java.util.concurrent.atomic.AtomicReference<>();
        java.util.concurrent.atomic.AtomicReference<java.util.regex.Matcher> pin = new java.util.concurrent.atomic.AtomicReference<>();
        lab.await("relay listening", Duration.ofSeconds(60), () -> {
            if (!p.isAlive()) {
                throw new AssertionError("relay exited: " + p.stderr());
            }
            var m1 = RelayMeshTest.PORT.matcher(p.stdout());
            var m2 = RelayMeshTest.PIN.matcher(p.stdout());
            if (m1.find() && m2.find()) {
                port.set(m1);
                pin.set(m2);
                return true;
            }
            return false;
        });
        others.add(p);
        return new RelayMeshTest.Relay(p, Integer.parseInt(port.get().group(1)), pin.get().group(1));
    }

    /** Clears a router's rules and state, then makes it {@code kind}. */
    static void reconfigure(Netns router, NatKind kind, Link lan, Link wan, String lanPrefix) {
        router.sh("nft delete table inet filter 2>/dev/null; iptables -F; iptables -t nat -F; conntrack -F 2>/dev/null; true");
        router.configureNat(kind, lan.bIf(), wan.aIf(), lanPrefix);
    }

    /** Starts an agent; {@code relayAddress} is the relay's address as seen from that side. */
    LabProcess agent(Netns ns, String log, String name, String dir, String relayAddress, String... extra) {
        List<String> args = new ArrayList<>(List.of("agent", "--server", relayAddress + ":" + relay.port(),
                "--pin", relay.pin(), "--token", token, "--hostname", name, "--state-dir", dir, "--tun", "gm0",
                "--stun", STUN1, "--stun", STUN2));
        args.addAll(List.of(extra));
        // agents restart per scenario: a CDS archive per agent (made by its first run) and C1 start them faster
        return ns.spawn(log, java(name, List.of("-Xmx256m", "-XX:TieredStopAtLevel=1", "-XX:+AutoCreateSharedArchive",
                "-XX:SharedArchiveFile=" + lab.file("cds-" + name + ".jsa")), args.toArray(String[]::new)));
    }

    private List<String> java(String name, List<String> jvm, String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(jvm);
        cmd.addAll(List.of("-Xss512k", "--enable-native-access=ALL-UNNAMED", "-cp", lib + "/*", "dev.gridmesh.cli.Main"));
        cmd.addAll(List.of(args));
        return cmd;
    }

    private static Path privateLib(Lab lab) {
        Path dir = lab.file("lib");
        try {
            java.nio.file.Files.createDirectories(dir);
            try (var jars = java.nio.file.Files.list(GridmeshCli.lib())) {
                for (Path j : jars.filter(f -> f.toString().endsWith(".jar")).toList()) {
                    java.nio.file.Files.copy(j, dir.resolve(j.getFileName()),
                            java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                }
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return dir;
    }

    /** One local API exchange on {@code DIR/agent.sock}; null when the agent is not answering (yet). */
    static JsonNode api(String dir, String op, String paramsJson) {
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.connect(UnixDomainSocketAddress.of(Path.of(dir, "agent.sock")));
            String req = "{\"op\":\"" + op + "\",\"params\":" + (paramsJson == null ? "{}" : paramsJson) + "}\n";
            ch.write(ByteBuffer.wrap(req.getBytes(StandardCharsets.UTF_8)));
            var in = new java.io.BufferedReader(Channels.newReader(ch, StandardCharsets.UTF_8));
            String line = in.readLine();
            if (line == null) {
                return null;
            }
            JsonNode n = JSON.readTree(line);
            return n.path("ok").asBoolean() ? n.path("result") : null;
        } catch (IOException e) {
            return null;
        }
    }

    static JsonNode status(String dir) {
        return api(dir, "status", null);
    }

    /** The peer named {@code name} in a status, or null. */
    static JsonNode peer(JsonNode status, String name) {
        if (status == null) {
            return null;
        }
        for (JsonNode p : status.path("peers")) {
            if (p.path("name").asText().equals(name)) {
                return p;
            }
        }
        return null;
    }

    static boolean online(String dir, String peerName) {
        JsonNode p = peer(status(dir), peerName);
        return p != null && p.path("online").asBoolean() && p.path("pathInfo").path("onlineSinceEpochMillis").asLong() > 0;
    }

    static String path(String dir, String peerName) {
        JsonNode p = peer(status(dir), peerName);
        return p == null ? "?" : p.path("path").asText();
    }

    @Override
    public void close() {
        for (LabProcess p : others) {
            p.stop();
        }
    }
}
