package dev.gridmesh.cli.tunnel;

import dev.gridmesh.cli.CliException;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code gridmesh ssh-config [--via auto|mesh|relay] [--state-dir DIR]}: an OpenSSH config block for every node the
 * logged-in user may reach through the relay and, unless {@code --via relay}, every peer of the local agent. The
 * ProxyCommand carries {@code --via} and {@code --state-dir} when given.
 */
@Command(name = "ssh-config", mixinStandardHelpOptions = true,
        description = {"Print an OpenSSH config block (append to ~/.ssh/config) covering every node you may reach",
                "through the relay and every peer of this machine's agent. Then plain ssh, scp, sftp and rsync reach",
                "them by name."})
public final class SshConfigCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--via", paramLabel = "auto|mesh|relay",
            description = "Put --via into the ProxyCommand (default there: auto).")
    String via;

    @Option(names = "--state-dir", paramLabel = "DIR",
            description = "Put --state-dir into the ProxyCommand and read the peers of the agent there"
                    + " (default: /var/lib/gridmesh).")
    Path stateDir;

    @Override
    public Integer call() throws CliException {
        MeshRoute.Via v;
        try {
            v = via == null ? MeshRoute.Via.AUTO : MeshRoute.Via.parse(via);
        } catch (IllegalArgumentException e) {
            throw new CliException("ssh-config", e.getMessage());
        }
        Set<String> names = new LinkedHashSet<>();
        Credentials c = null;
        IOException relayError = null;
        if (v != MeshRoute.Via.MESH) {
            try {
                c = Credentials.load(Credentials.configDir());
                for (String line : new TunnelClient(c).nodes().lines().toList()) {
                    String[] p = line.strip().split(" ");
                    if (p.length >= 2) {
                        names.add(p[0]);
                    }
                }
            } catch (IOException e) {
                relayError = e;
            }
        }
        boolean agent = false;
        if (v != MeshRoute.Via.RELAY) {
            try {
                for (MeshRoute.Peer p : MeshRoute.peers(stateDir != null ? stateDir : MeshRoute.defaultStateDir())) {
                    names.add(p.name());
                }
                agent = true;
            } catch (MeshRoute.MeshUnavailable e) {
                if (relayError != null || v == MeshRoute.Via.MESH) {
                    throw new CliException("ssh-config", (relayError != null ? relayError.getMessage() + "; " : "")
                            + e.getMessage(), relayError != null ? relayError : e);
                }
            }
        }
        if (relayError != null && !agent) {
            throw new CliException("ssh-config", relayError.getMessage(), relayError);
        }
        PrintWriter out = spec.commandLine().getOut();
        out.println("# gridmesh: nodes reachable" + (c != null ? " through relay " + c.server() : "")
                + (c != null && agent ? " and" : "") + (agent ? " over the mesh (this machine's agent)" : "")
                + " (gridmesh ssh-config)");
        if (names.isEmpty()) {
            out.println("# (none: the relay's policy grants this user nothing" + (agent ? " and the agent has no peers" : "") + ")");
            return 0;
        }
        out.println("Host " + String.join(" ", names));
        out.println("    ProxyCommand " + ProxyCommandLine.get(via == null ? null : v.toString(),
                stateDir == null ? null : stateDir.toString()));
        out.println("    ServerAliveInterval 30");
        return 0;
    }
}
