package dev.gridmesh.cli;

import dev.gridmesh.cli.log.Logging;

/** Entry point of the one {@code gridmesh} command. */
public final class Main {
    private Main() {}

    public static void main(String[] args) {
        Logging.init(System.getenv());
        System.exit(GridmeshCommand.run(args));
    }
}
