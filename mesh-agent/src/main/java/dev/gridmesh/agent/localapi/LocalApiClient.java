package dev.gridmesh.agent.localapi;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** Talks to a running agent over its local API socket; what the CLI uses. Each call opens one short connection. */
public final class LocalApiClient {
    private final Path path;
    private final Duration timeout;
    private final ObjectMapper mapper = LocalApiProtocol.newMapper();

    public LocalApiClient(Path socketPath, Duration timeout) {
        this.path = Objects.requireNonNull(socketPath, "socketPath");
        this.timeout = Objects.requireNonNull(timeout, "timeout");
    }

    public LocalApiClient(Path socketPath) {
        this(socketPath, Duration.ofSeconds(5));
    }

    /** {@code show}: the interface and its peers. */
    public ShowResponse show() throws LocalApiException {
        JsonNode result = call(LocalApiProtocol.OP_SHOW, null);
        try {
            return mapper.treeToValue(result, ShowResponse.class);
        } catch (IOException e) {
            throw new LocalApiException("agent at " + path + " sent a show result that does not parse: " + e, e);
        }
    }

    /**
     * Sends {@code {"op":op,"params":params}} and returns the {@code result} node.
     *
     * @param params any Jackson-serializable value, or null for none
     * @throws LocalApiException when the agent is unreachable, times out, or answers {@code ok:false} (its error)
     */
    public JsonNode call(String op, Object params) throws LocalApiException {
        ObjectNode req = mapper.createObjectNode().put("op", op);
        if (params != null) {
            req.set("params", mapper.valueToTree(params));
        }
        SocketChannel ch;
        try {
            ch = SocketChannel.open(UnixDomainSocketAddress.of(path));
        } catch (ConnectException e) {
            throw new LocalApiException(Files.exists(path)
                    ? "nothing is listening on " + path + " (stale socket: the agent is not running)"
                    : "no gridmesh agent at " + path + " (is the interface up?)", e);
        } catch (AccessDeniedException e) {
            throw new LocalApiException("permission denied on " + path
                    + " (run as root or as a member of the socket's group)", e);
        } catch (IOException e) {
            String m = String.valueOf(e.getMessage());
            if (m.contains("ermission denied")) {
                throw new LocalApiException("permission denied on " + path
                        + " (run as root or as a member of the socket's group)", e);
            }
            if (!Files.exists(path)) {
                throw new LocalApiException("no gridmesh agent at " + path + " (is the interface up?)", e);
            }
            throw new LocalApiException("cannot connect to " + path + ": " + e, e);
        }
        // closing the channel unblocks a read stuck on an agent that does not answer
        CompletableFuture<Void> watchdog = CompletableFuture.runAsync(() -> closeQuietly(ch),
                CompletableFuture.delayedExecutor(timeout.toMillis(), TimeUnit.MILLISECONDS));
        try (ch; InputStream in = new BufferedInputStream(Channels.newInputStream(ch));
                OutputStream out = Channels.newOutputStream(ch)) {
            JsonLines.writeLine(out, mapper.writeValueAsBytes(req));
            String line = JsonLines.readLine(in);
            if (line == null) {
                throw new LocalApiException("agent at " + path + " closed the connection without answering " + op);
            }
            JsonNode resp = mapper.readTree(line);
            if (resp.path("ok").asBoolean(false)) {
                return resp.path("result");
            }
            throw new LocalApiException(resp.path("error").asText("agent answered " + op + " with an error"));
        } catch (IOException e) {
            if (watchdog.isDone()) {
                throw new LocalApiException("agent at " + path + " did not answer " + op + " within "
                        + timeout.toMillis() + " ms", e);
            }
            throw new LocalApiException("talking to the agent at " + path + ": " + e, e);
        } finally {
            watchdog.cancel(false);
        }
    }

    private static void closeQuietly(SocketChannel c) {
        try {
            c.close();
        } catch (IOException ignored) {
            // watchdog: nothing to do
        }
    }
}
