package dev.gridmesh.cli.tunnel;

import dev.gridmesh.cli.CliException;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code gridmesh login}: checks the token against the relay (pinned TLS) and keeps the credentials (0600); stops a
 * running tunnel helper ({@link TunnelHelper}), which would still use the old ones.
 */
@Command(name = "login", mixinStandardHelpOptions = true,
        description = {"Log in to a relay for tunnels (gridmesh tunnel/ssh/forward); no agent needed.",
                "Credentials go to $XDG_CONFIG_HOME/gridmesh/credentials or ~/.config/gridmesh/credentials (mode 0600)."})
public final class LoginCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--server", required = true, paramLabel = "HOST:PORT", description = "The relay.")
    String server;

    @Option(names = "--pin", required = true, paramLabel = "sha256:HEX", description = "The relay's certificate pin.")
    String pin;

    @Option(names = "--token", required = true, paramLabel = "TOKEN",
            description = "Your user token (from the relay's operator: gridmesh relay user token NAME).")
    String token;

    @Override
    public Integer call() throws CliException {
        Credentials c;
        try {
            c = Credentials.of(server, pin, token);
        } catch (IllegalArgumentException e) {
            throw new CliException("login", e.getMessage());
        }
        String nodes;
        try {
            nodes = new TunnelClient(c).nodes();
        } catch (IOException e) {
            throw new CliException("login", e.getMessage(), e);
        }
        Path dir = Credentials.configDir();
        try {
            c.save(dir);
        } catch (IOException e) {
            throw new CliException("login", "cannot save credentials in " + dir + ": " + e.getMessage(), e);
        }
        TunnelHelper.stop(dir); // new credentials: the next tunnel starts a helper that uses them
        long n = nodes.lines().filter(l -> !l.isBlank()).count();
        PrintWriter out = spec.commandLine().getOut();
        out.println("logged in to relay " + c.server() + "; " + n + " node(s) reachable (gridmesh ssh-config lists them)");
        return 0;
    }
}
