package dev.gridmesh.cli.tunnel;

import dev.gridmesh.protocol.stream.StreamTarget;
import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/**
 * {@code gridmesh tunnel NODE PORT}: standard input and output joined to NODE's 127.0.0.1:PORT through the relay,
 * the OpenSSH {@code ProxyCommand gridmesh tunnel %h %p} form. Stdin EOF half-closes the stream; the remote EOF
 * closes stdout and exits 0; a refusal prints one line and exits 1. {@code Main} runs {@link #fast} without picocli
 * or logging setup: every ssh connection starts a JVM here.
 */
@Command(name = "tunnel", mixinStandardHelpOptions = true,
        description = {"Join stdin/stdout to NODE's local TCP PORT through the relay (OpenSSH ProxyCommand).",
                "Example in ~/.ssh/config:  ProxyCommand gridmesh tunnel %h %p"})
public final class TunnelCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "NODE", description = "Node name.")
    String node;

    @Parameters(index = "1", paramLabel = "PORT", description = "TCP port on the node's loopback.")
    int port;

    @Override
    public Integer call() {
        return run(node, String.valueOf(port), Credentials.configDir(), System.err);
    }

    /** {@code args} = {@code tunnel NODE PORT}; returns the exit code, or -1 when picocli should handle the line. */
    public static int fast(String[] args) {
        if (args.length != 3 || args[1].startsWith("-") || args[2].startsWith("-")) {
            return -1;
        }
        return run(args[1], args[2], Credentials.configDir(), System.err);
    }

    static int run(String node, String portText, Path configDir, PrintStream err) {
        int port;
        StreamTarget target;
        try {
            port = Integer.parseInt(portText);
            target = new StreamTarget(node, port);
        } catch (IllegalArgumentException e) {
            err.println("gridmesh: tunnel: " + node + " " + portText + ": " + e.getMessage());
            return 2;
        }
        Credentials c;
        try {
            c = Credentials.load(configDir);
        } catch (IOException e) {
            err.println("gridmesh: " + e.getMessage());
            return 1;
        }
        InputStream in = new FileInputStream(FileDescriptor.in);
        OutputStream out = new FileOutputStream(FileDescriptor.out);
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
