package dev.gridmesh.cli.tunnel;

import dev.gridmesh.protocol.stream.StreamTarget;
import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.Socket;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code gridmesh tunnel [--via auto|mesh|relay] [--state-dir DIR] NODE PORT}: standard input and output joined to
 * NODE's PORT, the OpenSSH {@code ProxyCommand gridmesh tunnel %h %p} form. When the local agent (DIR/agent.sock)
 * has NODE as an online peer, a TCP connection to its overlay IP:PORT over the mesh ({@link MeshRoute}); else a
 * stream through the relay to NODE's 127.0.0.1:PORT. Stdin EOF half-closes; the remote EOF closes stdout and exits
 * 0; a refusal prints one line and exits 1. {@code Main} runs {@link #fast} without picocli or logging setup.
 * Run by the bash launcher (which found no tunnel helper), it also starts the per-user {@link TunnelHelper} in
 * the background, so the next connection takes the launcher's fast path without a JVM start.
 */
@Command(name = "tunnel", mixinStandardHelpOptions = true,
        description = {"Join stdin/stdout to NODE's TCP PORT: over the mesh when this machine's agent has NODE as a",
                "peer, else through the relay (OpenSSH ProxyCommand).",
                "Example in ~/.ssh/config:  ProxyCommand gridmesh tunnel %h %p"})
public final class TunnelCommand implements Callable<Integer> {
    @Option(names = "--via", paramLabel = "auto|mesh|relay", defaultValue = "auto",
            description = "auto: the mesh when the local agent has NODE as an online peer, else the relay (default);"
                    + " mesh: the mesh only; relay: the relay only.")
    String via;

    @Option(names = "--state-dir", paramLabel = "DIR", defaultValue = "/var/lib/gridmesh",
            description = "The local agent's state dir, for its socket (default: ${DEFAULT-VALUE}).")
    Path stateDir;

    @Parameters(index = "0", paramLabel = "NODE", description = "Node name.")
    String node;

    @Parameters(index = "1", paramLabel = "PORT", description = "TCP port: the node's loopback through the relay,"
            + " its overlay IP over the mesh.")
    int port;

    @Override
    public Integer call() {
        return run(via, stateDir, node, String.valueOf(port), Credentials.configDir(), System.err);
    }

    /**
     * {@code args} = {@code tunnel [--via V] [--state-dir DIR] NODE PORT} (also {@code --opt=value}); returns the
     * exit code, or -1 when picocli should handle the line (help, anything else).
     */
    public static int fast(String[] args) {
        String via = "auto";
        Path stateDir = MeshRoute.defaultStateDir();
        int i = 1;
        while (i < args.length && args[i].startsWith("--")) {
            String a = args[i];
            String v;
            int eq = a.indexOf('=');
            if (eq > 0) {
                v = a.substring(eq + 1);
                a = a.substring(0, eq);
                i++;
            } else if (i + 1 < args.length) {
                v = args[i + 1];
                i += 2;
            } else {
                return -1;
            }
            switch (a) {
                case "--via" -> via = v;
                case "--state-dir" -> stateDir = Path.of(v);
                default -> {
                    return -1;
                }
            }
        }
        if (args.length - i != 2 || args[i].startsWith("-") || args[i + 1].startsWith("-")) {
            return -1;
        }
        return run(via, stateDir, args[i], args[i + 1], Credentials.configDir(), System.err);
    }

    static int run(String viaText, Path stateDir, String node, String portText, Path configDir, PrintStream err) {
        int port;
        StreamTarget target;
        MeshRoute.Via via;
        try {
            via = MeshRoute.Via.parse(viaText);
            port = Integer.parseInt(portText);
            target = new StreamTarget(node, port);
        } catch (IllegalArgumentException e) {
            err.println("gridmesh: tunnel: " + node + " " + portText + ": " + e.getMessage());
            return 2;
        }
        if (TunnelHelper.wanted(System.getenv())) {
            TunnelHelper.ensureStarted(configDir); // for the launcher's fast path next time; this one runs here
        }
        InputStream in = new FileInputStream(FileDescriptor.in);
        OutputStream out = new FileOutputStream(FileDescriptor.out);
        Socket mesh;
        try {
            mesh = MeshRoute.open(via, stateDir, node, port);
        } catch (IOException e) {
            err.println("gridmesh: tunnel " + target + ": " + e.getMessage());
            return 1;
        }
        if (mesh != null) {
            try {
                MeshRoute.pump(mesh, in, out, false);
                return 0;
            } catch (IOException e) {
                err.println("gridmesh: tunnel " + target + ": " + e.getMessage());
                return 1;
            }
        }
        Credentials c;
        try {
            c = Credentials.load(configDir);
        } catch (IOException e) {
            err.println("gridmesh: " + e.getMessage());
            return 1;
        }
        try (TunnelClient t = new TunnelClient(c)) {
            t.open(target);
            t.pump(in, out, false);
            return 0;
        } catch (IOException e) {
            err.println("gridmesh: " + e.getMessage());
            return 1;
        }
    }
}
