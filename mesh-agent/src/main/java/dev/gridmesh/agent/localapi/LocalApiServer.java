package dev.gridmesh.agent.localapi;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Listens on a UNIX domain socket (file mode 0660) and answers newline-delimited JSON requests with the registered
 * {@link LocalApiHandler}s, one virtual thread per connection. A leftover socket file that nobody listens on is
 * removed on start; if another process listens on it, start fails rather than stealing the path.
 */
public final class LocalApiServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(LocalApiServer.class);

    private final Path path;
    private final ServerSocketChannel server;
    private final Map<String, LocalApiHandler> handlers;
    private final ObjectMapper mapper = LocalApiProtocol.newMapper();
    private final Set<SocketChannel> connections = ConcurrentHashMap.newKeySet();
    private final Thread acceptor;
    private volatile boolean closed;

    private LocalApiServer(Path path, ServerSocketChannel server, Map<String, LocalApiHandler> handlers) {
        this.path = path;
        this.server = server;
        this.handlers = handlers;
        this.acceptor = Thread.ofPlatform().daemon().name("localapi-accept " + path.getFileName()).unstarted(
                this::acceptLoop);
    }

    /**
     * Binds {@code socketPath} (creating its parent directory, mode 0755, if missing) and starts serving.
     *
     * @param handlers operation name to handler, e.g. {@link LocalApiProtocol#OP_SHOW}; copied
     * @throws LocalApiException when another process listens on the path, or the path cannot be bound
     */
    public static LocalApiServer start(Path socketPath, Map<String, LocalApiHandler> handlers)
            throws LocalApiException {
        Objects.requireNonNull(socketPath, "socketPath");
        Path path = socketPath.toAbsolutePath();
        try {
            Path parent = path.getParent();
            if (parent != null && !Files.isDirectory(parent)) {
                Files.createDirectories(parent,
                        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
            }
        } catch (IOException e) {
            throw new LocalApiException("local API socket " + path + ": cannot create its directory: " + e, e);
        }
        removeStale(path);
        ServerSocketChannel server;
        try {
            server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
            server.bind(UnixDomainSocketAddress.of(path));
        } catch (IOException e) {
            throw new LocalApiException("local API socket " + path + ": cannot listen: " + e.getMessage(), e);
        }
        try {
            Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rw-rw----"));
        } catch (IOException e) {
            closeQuietly(server);
            throw new LocalApiException("local API socket " + path + ": cannot set mode 0660: " + e, e);
        }
        LocalApiServer s = new LocalApiServer(path, server, Map.copyOf(handlers));
        s.acceptor.start();
        return s;
    }

    private static void removeStale(Path path) throws LocalApiException {
        BasicFileAttributes attrs;
        try {
            attrs = Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (IOException e) {
            return; // does not exist
        }
        if (!attrs.isOther()) {
            throw new LocalApiException("local API socket " + path + " exists and is not a socket: remove it or"
                    + " choose another path");
        }
        try (SocketChannel probe = SocketChannel.open(UnixDomainSocketAddress.of(path))) {
            throw new LocalApiException("local API socket " + path + ": another process is already listening on it"
                    + " (is another gridmesh agent running for this interface?)");
        } catch (ConnectException e) {
            try {
                Files.deleteIfExists(path);
                log.info("removed stale local API socket {}", path);
            } catch (IOException d) {
                throw new LocalApiException("local API socket " + path + ": cannot remove the stale socket: " + d, d);
            }
        } catch (IOException e) {
            throw new LocalApiException("local API socket " + path + ": cannot probe the existing socket: " + e, e);
        }
    }

    public Path path() {
        return path;
    }

    private void acceptLoop() {
        while (!closed) {
            SocketChannel ch;
            try {
                ch = server.accept();
            } catch (ClosedChannelException e) {
                return;
            } catch (IOException e) {
                if (!closed) {
                    log.warn("local API {}: accept failed: {}", path, e.toString());
                }
                return;
            }
            connections.add(ch);
            Thread.ofVirtual().name("localapi-conn").start(() -> serve(ch));
        }
    }

    private void serve(SocketChannel ch) {
        try (ch; InputStream in = new BufferedInputStream(Channels.newInputStream(ch));
                OutputStream out = new BufferedOutputStream(Channels.newOutputStream(ch))) {
            String line;
            while ((line = JsonLines.readLine(in)) != null) {
                if (line.isBlank()) {
                    continue;
                }
                JsonLines.writeLine(out, mapper.writeValueAsBytes(dispatch(line)));
            }
        } catch (IOException e) {
            if (!closed) {
                log.debug("local API connection ended: {}", e.toString());
            }
        } finally {
            connections.remove(ch);
        }
    }

    /** One request line to one response object (never throws). Visible for tests. */
    ObjectNode dispatch(String line) {
        ObjectNode resp = mapper.createObjectNode();
        JsonNode req;
        try {
            req = mapper.readTree(line);
        } catch (JsonProcessingException e) {
            return resp.put("ok", false).put("error", "request is not JSON: " + e.getOriginalMessage());
        }
        if (req == null || !req.isObject() || !req.path("op").isTextual()) {
            return resp.put("ok", false).put("error", "request needs a string field \"op\"");
        }
        String op = req.get("op").asText();
        LocalApiHandler h = handlers.get(op);
        if (h == null) {
            return resp.put("ok", false).put("error", "unknown op \"" + op + "\" (expected one of: "
                    + String.join(", ", handlers.keySet().stream().sorted().toList()) + ")");
        }
        JsonNode params = req.path("params");
        if (!params.isObject()) {
            params = mapper.createObjectNode();
        }
        try {
            Object result = h.handle(params);
            resp.put("ok", true);
            resp.set("result", mapper.valueToTree(result));
            return resp;
        } catch (LocalApiException e) {
            return resp.put("ok", false).put("error", e.getMessage());
        } catch (RuntimeException e) {
            log.warn("local API op {} failed", op, e);
            return resp.put("ok", false).put("error", op + ": internal error: " + e);
        }
    }

    /** Stops listening, drops open connections and removes the socket file. Idempotent. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        closeQuietly(server);
        for (SocketChannel c : connections) {
            closeQuietly(c);
        }
        try {
            acceptor.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            Files.deleteIfExists(path);
        } catch (IOException e) {
            log.warn("local API: cannot remove {}: {}", path, e.toString());
        }
    }

    private static void closeQuietly(java.nio.channels.Channel c) {
        try {
            c.close();
        } catch (IOException ignored) {
            // closing: nothing left to do with the error
        }
    }
}
