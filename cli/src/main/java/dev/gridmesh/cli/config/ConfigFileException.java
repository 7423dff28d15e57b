package dev.gridmesh.cli.config;

import java.nio.file.Path;
import picocli.CommandLine;

/**
 * A config file the daemon cannot use, as {@code FILE:LINE: KEY: reason (expected: ...)}. A usage error (exit 2):
 * the file stands for command-line flags.
 */
public final class ConfigFileException extends CommandLine.ParameterException {
    private final Path file;
    private final int line;

    public ConfigFileException(CommandLine cl, Path file, int line, String key, String reason) {
        super(cl, file + (line > 0 ? ":" + line : "") + ": " + (key == null ? "" : key + ": ") + reason);
        this.file = file;
        this.line = line;
    }

    public Path file() {
        return file;
    }

    /** 1-based; 0 when unknown. */
    public int line() {
        return line;
    }
}
