package dev.gridmesh.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The root {@code gridmesh} command; subcommands register here. */
@Command(name = "gridmesh", mixinStandardHelpOptions = true, versionProvider = Version.class,
        description = "Peer-to-peer mesh VPN and reverse-tunnel daemon.",
        subcommands = {CommandLine.HelpCommand.class})
public final class GridmeshCommand implements Runnable {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "missing command");
    }

    public static int run(String... args) {
        return new CommandLine(new GridmeshCommand()).execute(args);
    }
}
