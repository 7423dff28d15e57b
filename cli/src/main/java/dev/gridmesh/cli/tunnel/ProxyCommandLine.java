package dev.gridmesh.cli.tunnel;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * The command line OpenSSH runs as ProxyCommand: this same JVM and class path, started lean (serial GC, small heap;
 * the full tiered JIT stays on, since C1-only code moves bulk bytes more slowly and saves little start time) with an
 * AppCDS archive of its own ({@link #cdsArchive}: the classes of a tunnel run, created by the first run, then mapped
 * instead of loaded from the jars), running {@code tunnel [--via V] [--state-dir DIR] %h %p}.
 */
final class ProxyCommandLine {
    private ProxyCommandLine() {}

    static String get() {
        return get(null, null);
    }

    /**
     * {@code via} and {@code stateDir} go onto the line only when given (null: the tunnel command's defaults). Run
     * by the bash launcher with the tunnel helper enabled ({@link TunnelHelper#wanted}): the launcher's own line
     * ({@link #forLauncher}), whose fast path reaches the helper without a JVM start; else this JVM's java line.
     */
    static String get(String via, String stateDir) {
        if (TunnelHelper.wanted(System.getenv())) {
            return forLauncher(System.getenv(TunnelHelper.LAUNCHER_ENV), via, stateDir);
        }
        String java = ProcessHandle.current().info().command().orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        String cp = System.getProperty("java.class.path");
        List<String> parts = new ArrayList<>(List.of(java, "-Xshare:auto"));
        Path jsa = cdsArchive(java, cp);
        if (jsa != null) {
            // created at the first run's exit (if it cannot be used: re-created, or run without, silently)
            parts.addAll(List.of("-XX:SharedArchiveFile=" + jsa, "-XX:+AutoCreateSharedArchive", "-Xlog:cds=off",
                    "-Xlog:cds+dynamic=off"));
        }
        parts.addAll(List.of("-XX:+UseSerialGC", "-Xmx128m", "-Xss512k", "-cp", cp, "dev.gridmesh.cli.Main"));
        return line(parts, via, stateDir);
    }

    /**
     * {@code 'LAUNCHER' tunnel [--via V] [--state-dir DIR] %h %p}: what the bash launcher's {@code gridmesh ssh}
     * fast path builds too, word for word (LauncherFastPathTest compares them).
     */
    static String forLauncher(String launcher, String via, String stateDir) {
        return line(new ArrayList<>(List.of(launcher)), via, stateDir);
    }

    /** {@code COMMAND tunnel [--via V] [--state-dir DIR] %h %p}, every word quoted for ssh. */
    private static String line(List<String> command, String via, String stateDir) {
        command.add("tunnel");
        if (via != null) {
            command.addAll(List.of("--via", via));
        }
        if (stateDir != null) {
            command.addAll(List.of("--state-dir", stateDir));
        }
        StringBuilder b = new StringBuilder();
        for (String p : command) {
            b.append(quote(p)).append(' ');
        }
        return b.append("%h %p").toString();
    }

    /** {@code $XDG_CACHE_HOME/gridmesh}, else {@code $HOME/.cache/gridmesh}. */
    static Path cacheDir() {
        String xdg = System.getenv("XDG_CACHE_HOME");
        String home = System.getenv("HOME");
        Path cache = xdg != null && !xdg.isBlank() ? Path.of(xdg)
                : Path.of(home != null && !home.isBlank() ? home : System.getProperty("user.home"), ".cache");
        return cache.resolve("gridmesh");
    }

    /**
     * {@code CACHE/gridmesh/tunnel-HASH.jsa}, HASH over the java binary and class path (two installs never fight
     * over one archive; a rebuilt jar at the same path is noticed by the JVM itself, which re-creates the archive).
     * CACHE is {@code $XDG_CACHE_HOME}, else {@code $HOME/.cache}. Null when that directory cannot be made.
     */
    static Path cdsArchive(String java, String classPath) {
        Path dir = cacheDir();
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            return null;
        }
        if (!Files.isWritable(dir)) {
            return null;
        }
        try {
            byte[] h = MessageDigest.getInstance("SHA-256").digest((java + "\n" + classPath + "\n"
                    + System.getProperty("java.vm.version")).getBytes(StandardCharsets.UTF_8));
            return dir.resolve("tunnel-" + HexFormat.of().formatHex(h, 0, 6) + ".jsa");
        } catch (NoSuchAlgorithmException e) {
            return null;
        }
    }

    /** Single-quoted for the shell that ssh runs ProxyCommand with; ssh expands %-tokens, so % is doubled. */
    static String quote(String s) {
        String q = s.replace("%", "%%");
        return q.matches("[A-Za-z0-9_./:=+,@-]+") ? q : "'" + q.replace("'", "'\\''") + "'";
    }
}
