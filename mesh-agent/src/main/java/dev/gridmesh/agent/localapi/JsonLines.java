package dev.gridmesh.agent.localapi;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/** Reads and writes the newline-terminated lines of the local API, bounded by {@link LocalApiProtocol#MAX_LINE_BYTES}. */
final class JsonLines {
    private JsonLines() {
    }

    /** The next line without its terminator, or null at end of stream. */
    static String readLine(InputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream(256);
        while (true) {
            int b = in.read();
            if (b < 0) {
                return line.size() == 0 ? null : line.toString(StandardCharsets.UTF_8);
            }
            if (b == '\n') {
                return line.toString(StandardCharsets.UTF_8);
            }
            if (line.size() >= LocalApiProtocol.MAX_LINE_BYTES) {
                throw new IOException("line longer than " + LocalApiProtocol.MAX_LINE_BYTES + " bytes");
            }
            line.write(b);
        }
    }

    static void writeLine(OutputStream out, byte[] json) throws IOException {
        byte[] framed = new byte[json.length + 1];
        System.arraycopy(json, 0, framed, 0, json.length);
        framed[json.length] = '\n';
        out.write(framed);
        out.flush();
    }
}
