package dev.gridmesh.cli.config;

import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * {@code --config FILE}: a mixin for daemon commands. Every other (visible) flag of the command may be set in the
 * file; a flag given on the command line wins over the file. See {@link ConfigFileExpander}.
 */
public final class ConfigFileOption {
    @Option(names = "--config", paramLabel = "FILE", preprocessor = ConfigFileExpander.class,
            description = "TOML file setting any of this command's flags (key = flag name with _ for -, e.g."
                    + " state_dir = \"/var/lib/gridmesh\"); flags given here win. Default: none.")
    Path config;

    /** The file given, or null. */
    public Path path() {
        return config;
    }
}
