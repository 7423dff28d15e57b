package dev.gridmesh.cli.relay;

import java.nio.file.Path;
import picocli.CommandLine.Option;

/** {@code --state-dir}, shared by the relay and its admin commands (they find the admin socket there). */
public final class StateDirOption {
    public static final String DEFAULT = "/var/lib/gridmesh-relay";

    @Option(names = "--state-dir", paramLabel = "DIR", defaultValue = DEFAULT,
            description = "The relay's state directory (store, certificate, admin socket). Default: ${DEFAULT-VALUE}.")
    Path stateDir;

    public Path get() {
        return stateDir;
    }
}
