package dev.gridmesh.cli.tunnel;

import dev.gridmesh.cli.CliException;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code gridmesh ssh-config}: an OpenSSH config block for every node the logged-in user may reach. */
@Command(name = "ssh-config", mixinStandardHelpOptions = true,
        description = {"Print an OpenSSH config block (append to ~/.ssh/config) covering every node you may reach.",
                "Then plain ssh, scp, sftp and rsync reach them by name."})
public final class SshConfigCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Override
    public Integer call() throws CliException {
        Credentials c;
        String nodes;
        try {
            c = Credentials.load(Credentials.configDir());
            nodes = new TunnelClient(c).nodes();
        } catch (IOException e) {
            throw new CliException("ssh-config", e.getMessage(), e);
        }
        List<String> names = new ArrayList<>();
        for (String line : nodes.lines().toList()) {
            String[] p = line.strip().split(" ");
            if (p.length >= 2) {
                names.add(p[0]);
            }
        }
        PrintWriter out = spec.commandLine().getOut();
        out.println("# gridmesh: nodes reachable through relay " + c.server() + " (gridmesh ssh-config)");
        if (names.isEmpty()) {
            out.println("# (none: the relay's policy grants this user nothing)");
            return 0;
        }
        out.println("Host " + String.join(" ", names));
        out.println("    ProxyCommand " + ProxyCommandLine.get());
        out.println("    ServerAliveInterval 30");
        return 0;
    }
}
