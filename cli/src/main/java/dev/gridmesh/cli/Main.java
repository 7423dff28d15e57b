package dev.gridmesh.cli;

import dev.gridmesh.cli.log.Logging;

/** Entry point of the one {@code gridmesh} command. */
public final class Main {
    private Main() {}

    public static void main(String[] args) {
        if (args.length > 0 && args[0].equals("tunnel")) { // ssh ProxyCommand: no picocli, no logging setup
            int rc = dev.gridmesh.cli.tunnel.TunnelCommand.fast(args);
            if (rc >= 0) {
                System.exit(rc);
            }
        }
        if (args.length > 0 && args[0].equals("ssh")) { // runs the system ssh: no picocli, no logging setup either
            System.exit(dev.gridmesh.cli.tunnel.SshCommand.fast(args));
        }
        if (args.length > 0 && args[0].equals("tunnel-daemon")) { // hidden: the per-user tunnel helper
            System.exit(dev.gridmesh.cli.tunnel.TunnelHelper.main(args));
        }
        Logging.init(System.getenv());
        System.exit(GridmeshCommand.run(args));
    }
}
