package dev.gridmesh.relay.admin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gridmesh.relay.server.RelayAdmin;
import dev.gridmesh.relay.server.RelayCounter;
import dev.gridmesh.relay.server.RelayHub;
import dev.gridmesh.relay.store.NodeRecord;
import dev.gridmesh.relay.store.StoreException;
import dev.gridmesh.relay.store.TokenRecord;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.concurrent.Semaphore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves {@link RelayAdmin} on {@code STATE_DIR/admin.sock} (mode 0600: whoever can open it is the relay's
 * administrator). One JSON object per line each way; see {@link AdminProtocol} for the operations. At most 8
 * clients at once, lines up to 64 KiB.
 */
public final class AdminServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(AdminServer.class);
    public static final String SOCKET_NAME = "admin.sock";
    private static final int MAX_LINE = 64 * 1024;

    private final Path path;
    private final ServerSocketChannel server;
    private final RelayAdmin admin;
    private final ObjectMapper json = new ObjectMapper();
    private final Semaphore slots = new Semaphore(8);
    private final Thread acceptor;
    private volatile boolean closed;

    private AdminServer(Path path, ServerSocketChannel server, RelayAdmin admin) {
        this.path = path;
        this.server = server;
        this.admin = admin;
        this.acceptor = Thread.ofPlatform().daemon().name("relay-admin").unstarted(this::acceptLoop);
    }

    public static Path socketPath(Path stateDir) {
        return stateDir.resolve(SOCKET_NAME);
    }

    /** Binds {@code path} (a stale socket file from a killed relay is replaced) and starts serving. */
    public static AdminServer start(Path path, RelayAdmin admin) throws IOException {
        Files.deleteIfExists(path);
        ServerSocketChannel s = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            s.bind(UnixDomainSocketAddress.of(path));
            Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rw-------"));
        } catch (IOException | RuntimeException e) {
            s.close();
            throw new IOException("admin socket " + path + ": " + e.getMessage(), e);
        }
        AdminServer a = new AdminServer(path, s, admin);
        a.acceptor.start();
        return a;
    }

    public Path path() {
        return path;
    }

    private void acceptLoop() {
        while (!closed) {
            SocketChannel c;
            try {
                c = server.accept();
            } catch (IOException e) {
                if (!closed) {
                    log.warn("admin: accept: {}", e.getMessage());
                }
                return;
            }
            if (!slots.tryAcquire()) {
                try {
                    c.write(StandardCharsets.UTF_8.encode("{\"ok\":false,\"error\":\"too many admin clients\"}\n"));
                    c.close();
                } catch (IOException ignored) {
                    // client gone
                }
                continue;
            }
            Thread.ofVirtual().name("relay-admin-client").start(() -> {
                try (c) {
                    serve(c);
                } catch (IOException e) {
                    log.debug("admin: client: {}", e.getMessage());
                } finally {
                    slots.release();
                }
            });
        }
    }

    private void serve(SocketChannel c) throws IOException {
        BufferedReader in = new BufferedReader(new InputStreamReader(Channels.newInputStream(c), StandardCharsets.UTF_8));
        OutputStream out = Channels.newOutputStream(c);
        StringBuilder line = new StringBuilder();
        for (int ch; (ch = in.read()) != -1; ) {
            if (ch != '\n') {
                if (line.length() >= MAX_LINE) {
                    out.write("{\"ok\":false,\"error\":\"request line longer than 65536 bytes\"}\n".getBytes(StandardCharsets.UTF_8));
                    return;
                }
                line.append((char) ch);
                continue;
            }
            ObjectNode reply = handle(line.toString());
            line.setLength(0);
            out.write((json.writeValueAsString(reply) + "\n").getBytes(StandardCharsets.UTF_8));
            out.flush();
        }
    }

    ObjectNode handle(String line) {
        ObjectNode r = json.createObjectNode();
        try {
            JsonNode req = json.readTree(line);
            String op = req == null ? "" : req.path("op").asText("");
            switch (op) {
                case AdminProtocol.TOKEN_CREATE -> {
                    long secs = req.path("expiresSeconds").asLong(0);
                    TreeSet<String> tags = new TreeSet<>();
                    req.path("tags").forEach(t -> tags.add(t.asText()));
                    RelayAdmin.CreatedToken t = admin.createToken(req.path("reusable").asBoolean(false),
                            secs > 0 ? Duration.ofSeconds(secs) : null, tags);
                    r.put("ok", true);
                    r.put("token", t.token());
                    r.set("record", token(t.record()));
                }
                case AdminProtocol.TOKENS -> {
                    ArrayNode a = r.putArray("tokens");
                    for (TokenRecord t : admin.tokens()) {
                        a.add(token(t));
                    }
                    r.put("ok", true);
                }
                case AdminProtocol.NODES -> {
                    ArrayNode a = r.putArray("nodes");
                    for (RelayHub.NodeView v : admin.nodes()) {
                        a.add(node(v.node(), v.online()));
                    }
                    r.put("ok", true);
                }
                case AdminProtocol.NODE_REMOVE -> {
                    String name = req.path("name").asText("");
                    Optional<NodeRecord> n = admin.removeNode(name);
                    if (n.isEmpty()) {
                        r.put("ok", false);
                        r.put("error", "node " + name + ": no such node");
                    } else {
                        r.put("ok", true);
                        r.set("removed", node(n.get(), false));
                    }
                }
                case AdminProtocol.STATS -> {
                    ObjectNode cs = r.putObject("counters");
                    for (Map.Entry<RelayCounter, Long> e : admin.counters().entrySet()) {
                        cs.put(e.getKey().name().toLowerCase(java.util.Locale.ROOT), e.getValue());
                    }
                    ObjectNode ts = r.putObject("tunnels");
                    admin.tunnelCounters().forEach(ts::put);
                    r.put("online", admin.online());
                    r.put("ok", true);
                }
                default -> {
                    r.put("ok", false);
                    r.put("error", "op: " + op + " (expected: one of " + AdminProtocol.OPS + ")");
                }
            }
        } catch (IllegalArgumentException | StoreException | IOException e) {
            r.removeAll();
            r.put("ok", false);
            r.put("error", e.getMessage());
        }
        return r;
    }

    private ObjectNode token(TokenRecord t) {
        ObjectNode o = json.createObjectNode();
        o.put("id", t.id());
        o.put("reusable", t.reusable());
        o.put("expires", t.expires() == null ? null : t.expires().toString());
        ArrayNode tags = o.putArray("tags");
        new TreeSet<>(t.tags()).forEach(tags::add);
        o.put("created", t.created().toString());
        o.put("uses", t.uses());
        return o;
    }

    private ObjectNode node(NodeRecord n, boolean online) {
        ObjectNode o = json.createObjectNode();
        o.put("name", n.name());
        o.put("nodeKey", n.nodeKey().toBase64());
        o.put("overlayIp", n.overlayIp().getHostAddress());
        o.put("online", online);
        ArrayNode tags = o.putArray("tags");
        new TreeSet<>(n.tags()).forEach(tags::add);
        o.put("created", n.created().toString());
        o.put("lastSeen", n.lastSeen().toString());
        ArrayNode eps = o.putArray("endpoints");
        for (InetSocketAddress e : n.endpoints()) {
            String h = e.getAddress().getHostAddress();
            eps.add((h.indexOf(':') >= 0 ? "[" + h + "]" : h) + ":" + e.getPort());
        }
        return o;
    }

    @Override
    public void close() {
        closed = true;
        try {
            server.close();
        } catch (IOException ignored) {
            // closing anyway
        }
        try {
            Files.deleteIfExists(path);
        } catch (IOException ignored) {
            // best effort
        }
    }
}
