package dev.gridmesh.relay.tunnel;

import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every tunnel session and every refused request, one JSON object per line in {@code tunnel-sessions.log} in the
 * relay's state dir (and at INFO in the relay's log): user, node, port, start, end, bytes each way, result.
 * Thread-safe.
 */
public final class SessionLog implements AutoCloseable {
    public static final String FILE = "tunnel-sessions.log";
    private static final Logger log = LoggerFactory.getLogger(SessionLog.class);

    private final Writer out;

    public SessionLog(Path dir) throws IOException {
        out = Files.newBufferedWriter(dir.resolve(FILE), StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                StandardOpenOption.APPEND, StandardOpenOption.WRITE);
    }

    /** A session ended (or was refused: {@code start == end}, zero bytes). */
    public synchronized void record(String user, String node, int port, Instant start, Instant end, long bytesToNode,
            long bytesFromNode, String result) {
        String line = "{\"user\":" + q(user) + ",\"node\":" + q(node) + ",\"port\":" + port + ",\"start\":\"" + start
                + "\",\"end\":\"" + end + "\",\"bytesToNode\":" + bytesToNode + ",\"bytesFromNode\":" + bytesFromNode
                + ",\"result\":" + q(result) + "}";
        log.info("tunnel session {}", line);
        try {
            out.write(line);
            out.write('\n');
            out.flush();
        } catch (IOException e) {
            log.warn("tunnel session log: {}", e.getMessage());
        }
    }

    private static String q(String s) {
        StringBuilder b = new StringBuilder(s.length() + 2).append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                default -> {
                    if (c < 0x20) {
                        b.append(String.format("\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        return b.append('"').toString();
    }

    @Override
    public synchronized void close() throws IOException {
        out.close();
    }
}
