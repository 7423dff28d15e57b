package dev.gridmesh.cli.tunnel;

import dev.gridmesh.cli.CliException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Unmatched;

/**
 * {@code gridmesh ssh [ssh options] [user@]NODE [command]}: runs the system {@code ssh} with
 * {@code -o ProxyCommand=gridmesh tunnel %h %p}, everything else passed through untouched, and returns ssh's exit
 * code (so {@code gridmesh ssh worker cmd} returns cmd's).
 */
@Command(name = "ssh", description = {"Run the system ssh to NODE through the relay; every ssh option works.",
        "gridmesh ssh [ssh options] [user@]NODE [command]"})
public final class SshCommand implements Callable<Integer> {
    @Unmatched
    List<String> args = new ArrayList<>();

    @Override
    public Integer call() throws CliException {
        if (args.isEmpty()) {
            throw new CliException("ssh", "missing NODE (usage: gridmesh ssh [ssh options] [user@]NODE [command])");
        }
        List<String> cmd = new ArrayList<>();
        cmd.add("ssh");
        cmd.add("-o");
        cmd.add("ProxyCommand=" + ProxyCommandLine.get());
        cmd.addAll(args);
        try {
            Process p = new ProcessBuilder(cmd).inheritIO().start();
            return p.waitFor();
        } catch (IOException e) {
            throw new CliException("ssh", "cannot run ssh: " + e.getMessage() + " (install openssh-client)", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 130;
        }
    }
}
