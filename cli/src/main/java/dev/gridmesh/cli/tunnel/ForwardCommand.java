package dev.gridmesh.cli.tunnel;

import dev.gridmesh.cli.CliException;
import dev.gridmesh.protocol.stream.StreamTarget;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code gridmesh forward [--via auto|mesh|relay] [--state-dir DIR] LOCAL_PORT:NODE:PORT...}: like {@code ssh -L};
 * every connection to 127.0.0.1:LOCAL_PORT gets its own connection to NODE's PORT, chosen per connection as
 * {@code gridmesh tunnel} does ({@link MeshRoute}): the peer's overlay IP over the mesh, else a relay stream to
 * NODE's 127.0.0.1:PORT. Runs until interrupted.
 */
@Command(name = "forward", mixinStandardHelpOptions = true,
        description = {"Forward local ports to nodes' ports (like ssh -L) over the mesh when this machine's agent has",
                "the node as a peer, else through the relay; until interrupted.",
                "Example: gridmesh forward 8888:worker-7:8888"})
public final class ForwardCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--via", paramLabel = "auto|mesh|relay", defaultValue = "auto",
            description = "auto: the mesh when the local agent has NODE as an online peer, else the relay (default);"
                    + " mesh: the mesh only; relay: the relay only.")
    String via;

    @Option(names = "--state-dir", paramLabel = "DIR", defaultValue = "/var/lib/gridmesh",
            description = "The local agent's state dir, for its socket (default: ${DEFAULT-VALUE}).")
    Path stateDir;

    @Parameters(arity = "1..*", paramLabel = "LOCAL_PORT:NODE:PORT", description = "What to forward (several allowed).")
    List<String> specs;

    record Spec1(int local, StreamTarget target) {}

    static Spec1 parse(String s) {
        String[] p = s.split(":");
        if (p.length != 3) {
            throw new IllegalArgumentException(s + " (expected: LOCAL_PORT:NODE:PORT)");
        }
        int local;
        try {
            local = Integer.parseInt(p[0]);
        } catch (NumberFormatException e) {
            local = -1;
        }
        if (local < 0 || local > 65535) {
            throw new IllegalArgumentException(s + ": local port " + p[0] + " (expected: 0..65535)");
        }
        try {
            return new Spec1(local, new StreamTarget(p[1], Integer.parseInt(p[2])));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(s + ": " + e.getMessage());
        }
    }

    @Override
    public Integer call() throws CliException {
        List<Spec1> list = new ArrayList<>();
        for (String s : specs) {
            try {
                list.add(parse(s));
            } catch (IllegalArgumentException e) {
                throw new CliException("forward", e.getMessage());
            }
        }
        MeshRoute.Via v;
        try {
            v = MeshRoute.Via.parse(via);
        } catch (IllegalArgumentException e) {
            throw new CliException("forward", e.getMessage());
        }
        Credentials c = null;
        if (v != MeshRoute.Via.MESH) {
            try {
                c = Credentials.load(Credentials.configDir());
            } catch (IOException e) {
                if (v == MeshRoute.Via.RELAY) {
                    throw new CliException("forward", e.getMessage(), e);
                }
                // auto without a login: the mesh only, each connection says so if the mesh cannot serve it
            }
        }
        Route route = new Route(v, stateDir, c);
        PrintWriter out = spec.commandLine().getOut();
        List<ServerSocket> servers = new ArrayList<>();
        try {
            for (Spec1 f : list) {
                ServerSocket ss = new ServerSocket();
                ss.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), f.local()), 128);
                servers.add(ss);
                out.println("forwarding 127.0.0.1:" + ss.getLocalPort() + " -> " + f.target());
            }
        } catch (IOException e) {
            servers.forEach(ForwardCommand::closeQuietly);
            throw new CliException("forward", "cannot listen: " + e.getMessage(), e);
        }
        out.flush();
        List<Thread> acceptors = new ArrayList<>();
        PrintWriter err = spec.commandLine().getErr();
        for (int i = 0; i < list.size(); i++) {
            ServerSocket ss = servers.get(i);
            StreamTarget t = list.get(i).target();
            acceptors.add(Thread.ofPlatform().name("forward-" + ss.getLocalPort()).start(() -> accept(ss, t, route, err)));
        }
        for (Thread a : acceptors) {
            try {
                a.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        servers.forEach(ForwardCommand::closeQuietly);
        return 0;
    }

    /** How each connection goes: {@code creds} null when not logged in (then the mesh only). */
    record Route(MeshRoute.Via via, Path stateDir, Credentials creds) {}

    private static void accept(ServerSocket ss, StreamTarget t, Route r, PrintWriter err) {
        while (!ss.isClosed()) {
            Socket s;
            try {
                s = ss.accept();
            } catch (IOException e) {
                return;
            }
            // a platform thread per connection: on a virtual thread every blocking TLS read parks through the
            // JDK poller (epoll re-arm, unpark, continuation thaw on a carrier): a fifth of the forward's CPU in bulk
            Thread.ofPlatform().daemon().name("forward-conn").start(() -> serve(s, t, r, err));
        }
    }

    private static void serve(Socket s, StreamTarget t, Route r, PrintWriter err) {
        try (s) {
            s.setTcpNoDelay(true);
            Socket mesh = MeshRoute.open(r.via() == MeshRoute.Via.AUTO && r.creds() == null ? MeshRoute.Via.MESH : r.via(),
                    r.stateDir(), t.node(), t.port());
            if (mesh != null) {
                MeshRoute.pump(mesh, s.getInputStream(), new SocketOutput(s, s::shutdownOutput), true);
                return;
            }
            try (TunnelClient tc = new TunnelClient(r.creds())) {
                tc.open(t);
                tc.pump(s.getInputStream(), new SocketOutput(s, s::shutdownOutput), true);
            }
        } catch (IOException e) {
            synchronized (err) {
                err.println("gridmesh: forward " + t + ": " + e.getMessage());
                err.flush();
            }
        }
    }

    private static void closeQuietly(ServerSocket s) {
        try {
            s.close();
        } catch (IOException ignored) {
            // closing
        }
    }
}
