package dev.gridmesh.cli.wgquick;

import dev.gridmesh.agent.localapi.LocalApiClient;
import dev.gridmesh.agent.localapi.LocalApiException;
import dev.gridmesh.cli.CliException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code gridmesh wg-quick down FILE.conf|IFNAME}: asks the running {@code wg-quick up} for that interface, over its
 * local API socket, to stop; returns once it has removed its socket (the interface goes with it).
 */
@Command(name = "down", mixinStandardHelpOptions = true,
        description = "Stop the running `gridmesh wg-quick up` of an interface (removes the interface).")
public final class WgQuickDownCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "FILE.conf|IFNAME", description = "wg-quick file, or interface name.")
    String target;

    @Option(names = "--socket-dir", hidden = true, defaultValue = "/run/gridmesh",
            description = "Directory of the local API sockets (tests).")
    Path socketDir;

    @Option(names = "--timeout", hidden = true, defaultValue = "10s", converter = DurationConverter.class,
            description = "How long to wait for the interface to go.")
    Duration timeout;

    @Override
    public Integer call() throws CliException {
        String name = InterfaceArgs.interfaceName(target);
        Path sock = SocketPaths.socket(socketDir, name);
        try {
            new LocalApiClient(sock, timeout).call(WgQuickUpCommand.OP_DOWN, null);
        } catch (LocalApiException e) {
            // the agent may close the socket before its answer leaves; what counts is that the socket goes
            if (!Files.exists(sock) || !String.valueOf(e.getMessage()).contains("closed the connection")) {
                throw new CliException("wg-quick down " + name, e.getMessage(), e);
            }
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        while (Files.exists(sock)) {
            if (System.nanoTime() - deadline > 0) {
                throw new CliException("wg-quick down " + name, "asked to stop, but its socket " + sock
                        + " is still there after " + timeout.toMillis() + " ms");
            }
            try {
                Thread.sleep(20); // polling a file the other process removes: no event to wait on
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new CliException("wg-quick down " + name, "interrupted");
            }
        }
        spec.commandLine().getOut().println(name + ": down");
        spec.commandLine().getOut().flush();
        return 0;
    }
}
