package dev.gridmesh.cli.tunnel;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Objects;

/**
 * What {@code gridmesh login} keeps: the relay's address, its certificate pin and the user's token, in
 * {@code CONFIG_DIR/credentials} (mode 0600, directory 0700). CONFIG_DIR is {@code $XDG_CONFIG_HOME/gridmesh} or
 * {@code $HOME/.config/gridmesh}.
 *
 * <pre>
 * server = relay.example.com:8443
 * pin = sha256:0f3c...
 * token = gmu_3f9a0c1e_...
 * </pre>
 */
public record Credentials(String host, int port, String pin, String token) {
    public static final String FILE = "credentials";

    public Credentials {
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(pin, "pin");
        Objects.requireNonNull(token, "token");
    }

    public String server() {
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
    }

    /** The user's gridmesh config directory. */
    public static Path configDir() {
        String xdg = System.getenv("XDG_CONFIG_HOME");
        if (xdg != null && !xdg.isBlank()) {
            return Path.of(xdg, "gridmesh");
        }
        String home = System.getenv("HOME");
        return Path.of(home != null && !home.isBlank() ? home : System.getProperty("user.home"), ".config", "gridmesh");
    }

    /** Parses {@code HOST:PORT} ({@code [v6]:PORT} too). */
    public static Credentials of(String server, String pin, String token) {
        int c = server.lastIndexOf(':');
        if (c <= 0 || c == server.length() - 1) {
            throw new IllegalArgumentException("--server: " + server + " (expected: HOST:PORT)");
        }
        String host = server.substring(0, c);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        int port;
        try {
            port = Integer.parseInt(server.substring(c + 1));
        } catch (NumberFormatException e) {
            port = -1;
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("--server: port " + server.substring(c + 1) + " (expected: 1..65535)");
        }
        if (!pin.matches("sha256:[0-9a-f]{64}")) {
            throw new IllegalArgumentException("--pin: " + pin + " (expected: sha256: and 64 lower-case hex digits)");
        }
        if (!token.startsWith("gmu_")) {
            throw new IllegalArgumentException("--token: not a user token (expected: gmu_..., from gridmesh relay user token NAME)");
        }
        return new Credentials(host, port, pin, token);
    }

    public static Credentials load(Path dir) throws IOException {
        Path f = dir.resolve(FILE);
        List<String> lines;
        try {
            lines = Files.readAllLines(f, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new IOException("not logged in (no " + f + "): run gridmesh login --server HOST:PORT --pin sha256:... --token TOKEN");
        }
        String server = null;
        String pin = null;
        String token = null;
        int n = 0;
        for (String raw : lines) {
            n++;
            String line = raw.strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            int eq = line.indexOf('=');
            if (eq < 0) {
                throw new IOException(f + ":" + n + ": expected KEY = VALUE");
            }
            String k = line.substring(0, eq).strip();
            String v = line.substring(eq + 1).strip();
            switch (k) {
                case "server" -> server = v;
                case "pin" -> pin = v;
                case "token" -> token = v;
                default -> throw new IOException(f + ":" + n + ": " + k + ": unknown key (expected: server, pin, token)");
            }
        }
        if (server == null || pin == null || token == null) {
            throw new IOException(f + ": server, pin and token are all needed (log in again)");
        }
        try {
            return of(server, pin, token);
        } catch (IllegalArgumentException e) {
            throw new IOException(f + ": " + e.getMessage());
        }
    }

    public void save(Path dir) throws IOException {
        Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        Path tmp = dir.resolve(FILE + ".tmp");
        Files.deleteIfExists(tmp);
        Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(tmp, "# gridmesh login (keep private)\nserver = " + server() + "\npin = " + pin + "\ntoken = " + token + "\n",
                StandardCharsets.UTF_8);
        Files.move(tmp, dir.resolve(FILE), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
}
