package dev.gridmesh.testsupport.lab;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Removes what lab runs left behind when their owner died without tearing down (SIGKILL, power loss): every run
 * registers {@code /run/gridmesh-lab/gm<run>} holding "{@code pid starttime}" of its owner process (a JVM, or the
 * demo/benchmark scripts' shell). A run whose owner is gone (or whose pid now belongs to another process) is stale:
 * its processes are killed, its namespaces deleted, its wireguard-go and gridmesh sockets removed.
 *
 * <p>A {@code gm*} namespace with no registration at all is removed only when it is older than an hour and no process
 * runs in it, so that another engineer's live namespaces are never touched.
 */
public final class LabSweeper {
    private static final Path NETNS_DIR = Path.of("/run/netns");
    /** wireguard-go's UAPI sockets and gridmesh's local API sockets: both shared by all namespaces. */
    private static final List<Path> SOCKET_DIRS = List.of(Path.of("/var/run/wireguard"), Path.of("/run/gridmesh"));
    private static final Duration UNREGISTERED_MAX_AGE = Duration.ofHours(1);

    private LabSweeper() {}

    /** Sweeps stale runs; returns the namespaces it deleted. Never throws (a sweep must not break a test). */
    public static synchronized List<String> sweepStale() {
        List<String> removed = new ArrayList<>();
        try {
            List<String> registered = new ArrayList<>();
            if (Files.isDirectory(Lab.REGISTRY)) {
                try (var entries = Files.list(Lab.REGISTRY)) {
                    for (Path reg : entries.toList()) {
                        String prefix = reg.getFileName().toString();
                        registered.add(prefix);
                        if (!ownerAlive(reg)) {
                            removed.addAll(removeRun(prefix, line -> { }));
                        }
                    }
                }
            }
            for (String ns : namespacesWithPrefix(Lab.PREFIX)) {
                if (registered.stream().noneMatch(ns::startsWith) && isOld(ns) && pidsIn(ns).isEmpty()) {
                    if (run(List.of("ip", "netns", "del", ns)) == 0) {
                        removed.add(ns);
                    }
                }
            }
        } catch (IOException | RuntimeException e) {
            System.err.println("gridmesh lab sweeper: " + e);
        }
        if (!removed.isEmpty()) {
            System.err.println("gridmesh lab sweeper: removed stale namespaces " + removed);
        }
        return removed;
    }

    /** Kills processes in, and deletes, every namespace starting with {@code prefix}; drops its registration. */
    static List<String> removeRun(String prefix, Consumer<String> log) {
        List<String> removed = new ArrayList<>();
        for (String ns : namespacesWithPrefix(prefix)) {
            for (long pid : pidsIn(ns)) {
                ProcessHandle.of(pid).ifPresent(ph -> {
                    log.accept("killing leftover pid " + pid + " in " + ns);
                    ph.destroyForcibly();
                });
            }
            int rc = -1;
            for (int attempt = 0; attempt < 20 && rc != 0; attempt++) {
                rc = run(List.of("ip", "netns", "del", ns));
                if (rc != 0) {
                    // a killed process may still hold the namespace for a moment
                    java.util.concurrent.locks.LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(100));
                }
            }
            log.accept("ip netns del " + ns + " -> " + rc);
            if (rc == 0) {
                removed.add(ns);
            }
        }
        try {
            for (Path dir : SOCKET_DIRS) {
                if (!Files.isDirectory(dir)) {
                    continue;
                }
                try (var socks = Files.list(dir)) {
                    for (Path s : socks.toList()) {
                        if (s.getFileName().toString().startsWith(prefix)) {
                            Files.deleteIfExists(s);
                        }
                    }
                }
            }
            Files.deleteIfExists(Lab.REGISTRY.resolve(prefix));
        } catch (IOException e) {
            log.accept("cleanup of " + prefix + " files: " + e);
        }
        return removed;
    }

    /** Namespaces (from {@code /run/netns}) whose name starts with {@code prefix}. */
    public static List<String> namespacesWithPrefix(String prefix) {
        List<String> out = new ArrayList<>();
        if (!Files.isDirectory(NETNS_DIR)) {
            return out;
        }
        try (var entries = Files.list(NETNS_DIR)) {
            for (Path p : entries.toList()) {
                String n = p.getFileName().toString();
                if (n.startsWith(prefix)) {
                    out.add(n);
                }
            }
        } catch (IOException e) {
            // unreadable: treat as none
        }
        out.sort(null);
        return out;
    }

    /** "{@code pid starttime}" for {@code /run/gridmesh-lab}: starttime (field 22 of /proc/pid/stat) guards against pid reuse. */
    static String ownerRecord(long pid) {
        return pid + " " + startTime(pid) + "\n";
    }

    private static boolean ownerAlive(Path reg) {
        try {
            String[] f = Files.readString(reg, StandardCharsets.UTF_8).trim().split("\\s+");
            long pid = Long.parseLong(f[0]);
            String expected = f.length > 1 ? f[1] : "";
            String actual = startTime(pid);
            return !actual.isEmpty() && (expected.isEmpty() || expected.equals(actual));
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    private static String startTime(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"), StandardCharsets.UTF_8);
            // fields after the parenthesised command name; starttime is field 22 overall
            String[] rest = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return rest[19];
        } catch (IOException | RuntimeException e) {
            return "";
        }
    }

    private static boolean isOld(String ns) {
        try {
            Instant mtime = Files.getLastModifiedTime(NETNS_DIR.resolve(ns)).toInstant();
            return mtime.isBefore(Instant.now().minus(UNREGISTERED_MAX_AGE));
        } catch (IOException e) {
            return false;
        }
    }

    private static List<Long> pidsIn(String ns) {
        List<Long> pids = new ArrayList<>();
        try {
            Process p = new ProcessBuilder("ip", "netns", "pids", ns).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            p.waitFor(10, TimeUnit.SECONDS);
            for (String s : out.split("\\s+")) {
                if (s.matches("\\d+")) {
                    pids.add(Long.parseLong(s));
                }
            }
        } catch (IOException e) {
            // none visible
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return pids;
    }

    private static int run(List<String> command) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return -1;
            }
            return p.exitValue();
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }
}
