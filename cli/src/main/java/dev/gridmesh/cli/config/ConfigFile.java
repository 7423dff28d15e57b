package dev.gridmesh.cli.config;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.toml.TomlMapper;
import com.fasterxml.jackson.dataformat.toml.TomlStreamReadException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A daemon's TOML config file, read with Jackson's TOML parser: flat {@code key = value} lines, keys named after the
 * long flags with {@code _} for {@code -} ({@code --state-dir} is {@code state_dir}). Syntax errors carry the
 * parser's line ({@link JsonLocation}); Jackson's TOML parser builds a tree without locations, so the line of a
 * key whose value is refused is found again in the text ({@link #lineOf}).
 */
public final class ConfigFile {
    /** Keys that would put the node's private key in a config file: always refused. */
    static final Set<String> SECRET_KEYS = Set.of("private_key", "node_key", "privatekey", "nodekey", "node_private_key");

    /** One {@code key = value} of the file. */
    public record Entry(String key, JsonNode value, int line) {}

    private final Path path;
    private final Map<String, Entry> entries;

    private ConfigFile(Path path, Map<String, Entry> entries) {
        this.path = path;
        this.entries = entries;
    }

    public Path path() {
        return path;
    }

    /** The entries in file order. */
    public Map<String, Entry> entries() {
        return entries;
    }

    /** A problem found while reading: line 0 when unknown. */
    public static final class Problem extends Exception {
        private final int line;
        private final String key;
        private final String reason;

        Problem(int line, String key, String reason) {
            super(reason);
            this.line = line;
            this.key = key;
            this.reason = reason;
        }

        public int line() {
            return line;
        }

        public String key() {
            return key;
        }

        public String reason() {
            return reason;
        }
    }

    /** Reads and checks the shape of {@code path} (flat keys, no secrets); values are checked by the caller. */
    public static ConfigFile read(Path path) throws Problem {
        Objects.requireNonNull(path, "path");
        String text;
        try {
            text = Files.readString(path, StandardCharsets.UTF_8);
        } catch (java.nio.file.NoSuchFileException e) {
            throw new Problem(0, null, "no such file");
        } catch (java.nio.file.AccessDeniedException e) {
            throw new Problem(0, null, "permission denied");
        } catch (java.nio.charset.MalformedInputException e) {
            throw new Problem(0, null, "not UTF-8 text");
        } catch (IOException e) {
            throw new Problem(0, null, "cannot read: " + e.getMessage());
        }
        return parse(path, text);
    }

    static ConfigFile parse(Path path, String text) throws Problem {
        JsonNode root;
        try {
            root = new TomlMapper().readTree(text);
        } catch (TomlStreamReadException e) {
            String msg = String.valueOf(e.getOriginalMessage());
            if (msg.startsWith("Duplicate key")) {
                int[] dup = duplicateKey(text);
                if (dup != null) {
                    String[] lines = text.split("\r?\n", -1);
                    Matcher m = KEY_LINE.matcher(lines[dup[0] - 1]);
                    String key = m.find() ? keyOf(m) : null;
                    throw new Problem(dup[0], key, "duplicate key (expected: each key once)");
                }
            }
            JsonLocation loc = e.getLocation();
            throw new Problem(loc == null ? 0 : loc.getLineNr(), null, "TOML syntax: " + e.getOriginalMessage()
                    + " (expected: key = value lines, see docs/service.md)");
        } catch (IOException e) {
            throw new Problem(0, null, "TOML: " + e.getMessage());
        }
        if (!(root instanceof ObjectNode obj)) {
            throw new Problem(0, null, "not a TOML document");
        }
        Map<String, Entry> out = new LinkedHashMap<>();
        List<String> names = new ArrayList<>();
        obj.fieldNames().forEachRemaining(names::add);
        for (String key : names) {
            JsonNode v = obj.get(key);
            int line = lineOf(text, key);
            if (SECRET_KEYS.contains(key.toLowerCase(java.util.Locale.ROOT).replace('-', '_'))) {
                throw new Problem(line, key, "the node's private key is never read from a config file (expected: it"
                        + " stays in STATE_DIR/node.key, written by the agent itself)");
            }
            if (v.isObject()) {
                throw new Problem(line == 0 ? tableLine(text, key) : line, key,
                        "tables are not used (expected: top-level key = value lines)");
            }
            out.put(key, new Entry(key, v, line));
        }
        return new ConfigFile(path, out);
    }

    private static final Pattern KEY_LINE = Pattern.compile("^\\s*(?:\"([^\"]*)\"|'([^']*)'|([A-Za-z0-9_-]+))\\s*=");
    private static final Pattern TABLE_LINE = Pattern.compile("^\\s*\\[\\[?\\s*\"?([A-Za-z0-9_-]+)");

    /** The 1-based line of the top-level {@code key = ...}, or 0 (keys are unique in valid TOML). */
    static int lineOf(String text, String key) {
        String[] lines = text.split("\r?\n", -1);
        for (int i = 0; i < lines.length; i++) {
            if (TABLE_LINE.matcher(lines[i]).find()) {
                return 0; // past the top-level keys
            }
            Matcher m = KEY_LINE.matcher(lines[i]);
            if (m.find()) {
                String k = m.group(1) != null ? m.group(1) : m.group(2) != null ? m.group(2) : m.group(3);
                if (k.equals(key)) {
                    return i + 1;
                }
            }
        }
        return 0;
    }

    private static String keyOf(Matcher m) {
        return m.group(1) != null ? m.group(1) : m.group(2) != null ? m.group(2) : m.group(3);
    }

    /** The 1-based line of the first top-level key set a second time, or null. */
    private static int[] duplicateKey(String text) {
        String[] lines = text.split("\r?\n", -1);
        java.util.Set<String> seen = new java.util.HashSet<>();
        for (int i = 0; i < lines.length; i++) {
            if (TABLE_LINE.matcher(lines[i]).find()) {
                return null;
            }
            Matcher m = KEY_LINE.matcher(lines[i]);
            if (m.find() && !seen.add(keyOf(m))) {
                return new int[] {i + 1};
            }
        }
        return null;
    }

    private static int tableLine(String text, String key) {
        String[] lines = text.split("\r?\n", -1);
        for (int i = 0; i < lines.length; i++) {
            Matcher m = TABLE_LINE.matcher(lines[i]);
            if (m.find() && m.group(1).equals(key)) {
                return i + 1;
            }
        }
        return 0;
    }
}
