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
 * start joins as a new node with a new token. With no agent on the dir it takes the dir's lock and deletes the key
 * itself; a running agent (the lock is held) is asked over its local socket to leave the mesh and delete the key
 * (it keeps running, logged out, until it is restarted with --token). The relay keeps the old node until an admin removes it
 * ({@code gridmesh relay node remove NAME}).
 */
@Command(name = "logout", mixinStandardHelpOptions = true,
        description = {"Forget this node's identity (its node key) so the next start joins as a new node.",
                "A running agent leaves the mesh first (over its local socket)."})
public final class LogoutCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--state-dir", paramLabel = "DIR", defaultValue = "/var/lib/gridmesh",
            description = "The agent's state dir (default: ${DEFAULT-VALUE}).")
    Path stateDir;

    @Override
    public Integer call() throws CliException {
        // the tunnel helper may route over this agent's mesh: it stops (open sessions run on; the next tunnel
        // starts a fresh one)
        dev.gridmesh.cli.tunnel.TunnelHelper.stop(dev.gridmesh.cli.tunnel.Credentials.configDir());
        if (!Files.isDirectory(stateDir)) {
            throw new CliException("logout", "no state dir " + stateDir + " (nothing to forget)");
        }
        StateDir dir;
        try {
            dir = StateDir.open(stateDir);
        } catch (StateDirException e) {
            if (e.getMessage().contains("in use")) { // a running agent: it leaves the mesh and deletes the key
                return AgentOps.call("logout", stateDir, java.util.Map.of(), spec.commandLine().getOut());
            }
            throw new CliException("logout", e.getMessage(), e);
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
