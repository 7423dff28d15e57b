package dev.gridmesh.cli.tunnel;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gridmesh.agent.control.StateDir;
import dev.gridmesh.agent.localapi.LocalApiClient;
import dev.gridmesh.agent.localapi.LocalApiException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The mesh shortcut of the tunnel commands: when this machine runs an agent that has NODE among its peers, a plain
 * TCP connection to the peer's overlay IP:PORT rides the mesh (the direct path when there is one, else WireGuard
 * over the relay) instead of a relay stream.
 * <pre>
 *   --via auto  (default): agent socket STATE_DIR/agent.sock answers and NODE is an online peer
 *                 -> TCP OVERLAY_IP:PORT (connect timeout 3 s) -> connected: done
 *                 -> anything else (no agent, no such peer, offline, refused, timeout): the relay stream
 *   --via mesh:  as auto, but any failure is the command's error (one line, exit 1)
 *   --via relay: the relay stream only (the relay's policy, session log and the agent's allow-list apply)
 * </pre>
 * Over the mesh the relay sees no session: what the engineer may reach is what the worker exposes on its overlay
 * IP (docs/tunnels.md, "Access control over the mesh"). Talks to the agent only through its local API socket.
 */
public final class MeshRoute {
    /** How the tunnel commands choose their path. */
    public enum Via {
        AUTO, MESH, RELAY;

        /** {@code auto|mesh|relay}; the message names the value and what was expected. */
        public static Via parse(String s) {
            return switch (s.toLowerCase(Locale.ROOT)) {
                case "auto" -> AUTO;
                case "mesh" -> MESH;
                case "relay" -> RELAY;
                default -> throw new IllegalArgumentException("--via: " + s + " (expected: auto, mesh or relay)");
            };
        }

        @Override
        public String toString() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** Where the mesh could not be used; {@code getMessage()} is one line for the terminal. */
    public static final class MeshUnavailable extends IOException {
        public MeshUnavailable(String message) {
            super(message);
        }
    }

    /** A peer of the local agent: its name, first overlay IP, whether it is online and its path (direct|relay). */
    public record Peer(String name, InetAddress overlayIp, boolean online, String path) {}

    public static final int CONNECT_TIMEOUT_MS = 3_000;
    private static final Duration API_TIMEOUT = Duration.ofSeconds(2);

    private MeshRoute() {}

    /** The default agent state dir, as the operator commands' {@code --state-dir}. */
    public static Path defaultStateDir() {
        return StateDir.DEFAULT;
    }

    /** The local agent's peers; throws when no agent answers on {@code stateDir}'s socket. */
    public static List<Peer> peers(Path stateDir) throws MeshUnavailable {
        Path sock = StateDir.socketPath(stateDir);
        if (!Files.exists(sock)) { // the common case on a laptop without agent: no JSON machinery loaded
            throw new MeshUnavailable("no gridmesh agent at " + sock);
        }
        JsonNode status;
        try {
            status = new LocalApiClient(sock, API_TIMEOUT).call("status", null);
        } catch (LocalApiException e) {
            throw new MeshUnavailable(e.getMessage());
        }
        List<Peer> list = new ArrayList<>();
        for (JsonNode p : status.path("peers")) {
            String ip = p.path("overlayIp").asText("");
            if (ip.isEmpty()) {
                continue;
            }
            try {
                list.add(new Peer(p.path("name").asText(""), InetAddress.ofLiteral(ip), p.path("online").asBoolean(),
                        p.path("path").asText("?")));
            } catch (IllegalArgumentException e) {
                // not an address literal: not a peer we can dial
            }
        }
        return list;
    }

    /** The peer named {@code node}, online, or why not. */
    public static Peer find(Path stateDir, String node) throws MeshUnavailable {
        List<Peer> peers = peers(stateDir);
        List<String> names = new ArrayList<>();
        for (Peer p : peers) {
            if (p.name().equals(node)) {
                if (!p.online()) {
                    throw new MeshUnavailable("peer " + node + " (" + p.overlayIp().getHostAddress() + ") is offline");
                }
                return p;
            }
            names.add(p.name());
        }
        throw new MeshUnavailable("no peer named " + node + " in the agent at " + StateDir.socketPath(stateDir)
                + " (peers: " + (names.isEmpty() ? "none" : String.join(", ", names)) + ")");
    }

    /** A TCP connection to {@code peer}'s overlay IP and {@code port} (TCP_NODELAY, as ssh sets it itself). */
    public static Socket connect(Peer peer, int port, int timeoutMs) throws MeshUnavailable {
        Socket s = new Socket();
        try {
            s.setTcpNoDelay(true);
            s.connect(new InetSocketAddress(peer.overlayIp(), port), timeoutMs);
            return s;
        } catch (IOException e) {
            try {
                s.close();
            } catch (IOException ignored) {
                // failed anyway
            }
            throw new MeshUnavailable("cannot connect to " + peer.name() + " at " + peer.overlayIp().getHostAddress()
                    + ":" + port + " over the mesh: " + e.getMessage());
        }
    }

    /**
     * The mesh connection for {@code node:port} under {@code via}: a connected socket, or null for "use the relay"
     * (AUTO when the mesh is unavailable; always for RELAY). With MESH a failure throws.
     */
    public static Socket open(Via via, Path stateDir, String node, int port) throws MeshUnavailable {
        if (via == Via.RELAY) {
            return null;
        }
        try {
            return connect(find(stateDir, node), port, CONNECT_TIMEOUT_MS);
        } catch (MeshUnavailable e) {
            if (via == Via.MESH) {
                throw e;
            }
            return null;
        }
    }

    /**
     * Joins {@code src}/{@code dst} to {@code mesh} until the remote end closes (then {@code dst} is closed; with
     * {@code untilBothEof} only once {@code src} reached EOF too). {@code src} EOF half-closes the connection
     * (shutdownOutput), as the relay stream's HALF_CLOSE does. Closes {@code mesh}.
     */
    public static void pump(Socket mesh, InputStream src, OutputStream dst, boolean untilBothEof) throws IOException {
        OutputStream up = mesh.getOutputStream();
        IOException[] upError = new IOException[1];
        Thread upstream = Thread.ofPlatform().daemon().name("mesh-up").start(() -> {
            byte[] buf = new byte[64 * 1024];
            try {
                int n;
                while (true) {
                    try {
                        n = src.read(buf);
                    } catch (IOException e) {
                        throw new IOException("local input: " + e.getMessage(), e);
                    }
                    if (n < 0) {
                        break;
                    }
                    if (n > 0) {
                        up.write(buf, 0, n);
                    }
                }
                mesh.shutdownOutput();
            } catch (IOException e) {
                if (!mesh.isClosed()) {
                    upError[0] = e;
                    closeQuietly(mesh);
                }
            }
        });
        try (mesh) {
            InputStream down = mesh.getInputStream();
            byte[] buf = new byte[64 * 1024];
            int n;
            try {
                while ((n = down.read(buf)) >= 0) {
                    dst.write(buf, 0, n);
                    dst.flush();
                }
            } catch (IOException e) {
                if (upError[0] != null) {
                    throw upError[0].getMessage().startsWith("local input: ") ? upError[0]
                            : new IOException("mesh connection: " + upError[0].getMessage(), upError[0]);
                }
                throw new IOException("mesh connection: " + e.getMessage(), e);
            }
            dst.close();
            if (untilBothEof) {
                try {
                    upstream.join();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException ignored) {
            // closing
        }
    }
}
