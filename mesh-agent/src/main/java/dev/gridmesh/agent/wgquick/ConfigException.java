package dev.gridmesh.agent.wgquick;

import java.nio.file.Path;
import java.util.Objects;

/**
 * A configuration file could not be used. The message reads {@code FILE:LINE: KEY: reason (expected: ...)},
 * e.g. {@code wg0.conf:7: ListenPort: 70000 (expected: 0..65535)}; LINE is left out for whole-file problems
 * (interface name, unreadable file) and KEY when no key is concerned.
 */
public final class ConfigException extends Exception {
    private final Path file;
    private final int line;
    private final String key;
    private final String reason;

    /**
     * @param line 1-based line number, or 0 when the problem is not on one line
     * @param key  the key as the file spells it (or a section such as {@code [Peer]}), or null
     */
    public ConfigException(Path file, int line, String key, String reason) {
        this(file, line, key, reason, null);
    }

    public ConfigException(Path file, int line, String key, String reason, Throwable cause) {
        super(format(file, line, key, reason), cause);
        this.file = Objects.requireNonNull(file, "file");
        this.line = line;
        this.key = key;
        this.reason = Objects.requireNonNull(reason, "reason");
    }

    private static String format(Path file, int line, String key, String reason) {
        StringBuilder sb = new StringBuilder(String.valueOf(file));
        if (line > 0) {
            sb.append(':').append(line);
        }
        if (key != null) {
            sb.append(": ").append(key);
        }
        return sb.append(": ").append(reason).toString();
    }

    public Path file() {
        return file;
    }

    /** 1-based line, or 0 when the problem concerns the whole file. */
    public int line() {
        return line;
    }

    /** The key concerned, or null. */
    public String key() {
        return key;
    }

    /** The reason alone, without file, line and key. */
    public String reason() {
        return reason;
    }
}
