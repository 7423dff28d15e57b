package dev.gridmesh.cli.operator;

import dev.gridmesh.agent.control.StateDir;
import dev.gridmesh.agent.control.StateDirException;
import dev.gridmesh.cli.CliException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code gridmesh logout [--state-dir DIR]}: forgets this node's identity (deletes {@code node.key}), so the next
 * start joins as a new node with a new token. Only while no agent runs on the dir (it takes the dir's lock to be
 * sure); a running agent is refused with what to do. The relay keeps the old node until an admin removes it
 * ({@code gridmesh relay node remove NAME}).
 */
@Command(name = "logout", mixinStandardHelpOptions = true,
        description = {"Forget this node's identity (its node key) so the next start joins as a new node.",
                "Stop the agent first (systemctl stop gridmesh-agent)."})
public final class LogoutCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--state-dir", paramLabel = "DIR", defaultValue = "/var/lib/gridmesh",
            description = "The agent's state dir (default: ${DEFAULT-VALUE}).")
    Path stateDir;

    @Override
    public Integer call() throws CliException {
        if (!Files.isDirectory(stateDir)) {
            throw new CliException("logout", "no state dir " + stateDir + " (nothing to forget)");
        }
        StateDir dir;
        try {
            dir = StateDir.open(stateDir);
        } catch (StateDirException e) {
            throw new CliException("logout", e.getMessage().contains("in use")
                    ? "an agent is running on " + stateDir + ": stop it first (systemctl stop gridmesh-agent)"
                    : e.getMessage(), e);
        }
        try (dir) {
            boolean had = Files.deleteIfExists(dir.keyFile());
            spec.commandLine().getOut().println(had
                    ? "logout: node key " + dir.keyFile() + " deleted; the next start needs --token"
                    : "logout: no node key in " + stateDir + " (already logged out)");
            return 0;
        } catch (IOException e) {
            throw new CliException("logout", dir.keyFile() + ": " + e.getMessage(), e);
        }
    }
}
