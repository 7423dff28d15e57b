package dev.gridmesh.relay.admin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Talks to a running relay's {@link AdminServer}: one request, one reply per call. Not thread-safe. */
public final class AdminClient implements AutoCloseable {
    private final SocketChannel channel;
    private final BufferedReader in;
    private final ObjectMapper json = new ObjectMapper();

    private AdminClient(SocketChannel channel) {
        this.channel = channel;
        this.in = new BufferedReader(new InputStreamReader(Channels.newInputStream(channel), StandardCharsets.UTF_8));
    }

    /** Connects to the socket in {@code stateDir}; the message says what to check when no relay answers. */
    public static AdminClient connect(Path stateDir) throws IOException {
        Path p = AdminServer.socketPath(stateDir);
        if (!Files.exists(p)) {
            throw new IOException(p + ": no admin socket (is `gridmesh relay --state-dir " + stateDir + "` running?)");
        }
        SocketChannel c = SocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            c.connect(UnixDomainSocketAddress.of(p));
        } catch (IOException e) {
            c.close();
            throw new IOException(p + ": " + e.getMessage() + " (is the relay running, and are you its user?)", e);
        }
        return new AdminClient(c);
    }

    public ObjectNode newRequest(String op) {
        return json.createObjectNode().put("op", op);
    }

    /** Sends {@code request} and returns the reply (check {@code ok}). */
    public JsonNode call(ObjectNode request) throws IOException {
        byte[] line = (json.writeValueAsString(request) + "\n").getBytes(StandardCharsets.UTF_8);
        Channels.newOutputStream(channel).write(line);
        String reply = in.readLine();
        if (reply == null) {
            throw new IOException("relay closed the admin connection without a reply");
        }
        return json.readTree(reply);
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
