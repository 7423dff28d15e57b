package dev.gridmesh.cli.tunnel;

import dev.gridmesh.cli.CliException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Unmatched;

/**
 * {@code gridmesh ssh [--via auto|mesh|relay] [--state-dir DIR] [ssh options] [user@]NODE [command]}: runs the
 * system {@code ssh} with {@code -o ProxyCommand=gridmesh tunnel [--via ..] [--state-dir ..] %h %p}, everything
 * after the gridmesh options passed through untouched, and returns ssh's exit code (so
 * {@code gridmesh ssh worker cmd} returns cmd's). The gridmesh options are read only before the first other word,
 * so a remote command's own {@code --via} stays the command's.
 */
@Command(name = "ssh", description = {"Run the system ssh to NODE over the mesh (when this machine's agent has NODE as"
        + " a peer) or through the relay; every ssh option works.",
        "gridmesh ssh [--via auto|mesh|relay] [--state-dir DIR] [ssh options] [user@]NODE [command]"})
public final class SshCommand implements Callable<Integer> {
    static final String USAGE = "gridmesh ssh [--via auto|mesh|relay] [--state-dir DIR] [ssh options] [user@]NODE [command]";

    @Unmatched
    List<String> args = new ArrayList<>();

    /** The ProxyCommand's own options, read off the front of {@code args}; returns the index of the first ssh word. */
    static int gridmeshOptions(List<String> args, String[] viaAndDir) throws CliException {
        int i = 0;
        while (i < args.size()) {
            String a = args.get(i);
            String name = a.contains("=") ? a.substring(0, a.indexOf('=')) : a;
            if (!name.equals("--via") && !name.equals("--state-dir")) {
                break;
            }
            String v;
            if (a.contains("=")) {
                v = a.substring(a.indexOf('=') + 1);
                i++;
            } else if (i + 1 < args.size()) {
                v = args.get(i + 1);
                i += 2;
            } else {
                throw new CliException("ssh", name + ": missing value (usage: " + USAGE + ")");
            }
            if (name.equals("--via")) {
                try {
                    viaAndDir[0] = MeshRoute.Via.parse(v).toString();
                } catch (IllegalArgumentException e) {
                    throw new CliException("ssh", e.getMessage());
                }
            } else {
                viaAndDir[1] = v;
            }
        }
        return i;
    }

    @Override
    public Integer call() throws CliException {
        return run(args);
    }

    /**
     * {@code args} = {@code ssh ...}, run without picocli or logging setup ({@code Main}: the JVM start is most of
     * {@code gridmesh ssh}'s own cost); returns the exit code, failures as one line on stderr and exit 1 as picocli
     * would print them.
     */
    public static int fast(String[] args) {
        try {
            return run(java.util.Arrays.asList(args).subList(1, args.length));
        } catch (CliException e) {
            System.err.println("gridmesh: " + e.what() + ": " + e.reason());
            return 1;
        }
    }

    static int run(List<String> args) throws CliException {
        String[] viaAndDir = new String[2];
        int first = gridmeshOptions(args, viaAndDir);
        if (first >= args.size()) {
            throw new CliException("ssh", "missing NODE (usage: " + USAGE + ")");
        }
        if (TunnelHelper.wanted(System.getenv())) {
            TunnelHelper.ensureStarted(Credentials.configDir()); // the ProxyCommand below is the launcher's fast path
        }
        List<String> cmd = new ArrayList<>();
        cmd.add("ssh");
        cmd.add("-o");
        cmd.add("ProxyCommand=" + ProxyCommandLine.get(viaAndDir[0], viaAndDir[1]));
        cmd.addAll(args.subList(first, args.size()));
        try {
            Process p = new ProcessBuilder(cmd).inheritIO().start();
            return p.waitFor();
        } catch (IOException e) {
            throw new CliException("ssh", "cannot run ssh: " + e.getMessage() + " (install openssh-client)", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 130;
        }
    }
}
