package dev.gridmesh.cli.wgquick;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code gridmesh wg-quick}: the noun; its verbs are {@code up}, {@code down}, {@code show}. */
@Command(name = "wg-quick", mixinStandardHelpOptions = true,
        description = "Run a WireGuard interface from a wg-quick(8) file, compatible with WireGuard peers.",
        subcommands = {WgQuickUpCommand.class, WgQuickDownCommand.class, WgQuickShowCommand.class})
public final class WgQuickCommand implements Runnable {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "missing verb (expected: up, down or show)");
    }
}
