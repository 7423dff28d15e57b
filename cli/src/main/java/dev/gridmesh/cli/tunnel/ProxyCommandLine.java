package dev.gridmesh.cli.tunnel;

import java.nio.file.Path;
import java.util.List;

/**
 * The command line OpenSSH runs as ProxyCommand: this same JVM and class path, started lean (serial GC, small heap;
 * the full tiered JIT stays on, since C1-only code moves bulk bytes more slowly and saves little start time), running
 * {@code tunnel %h %p}.
 */
final class ProxyCommandLine {
    private ProxyCommandLine() {}

    static String get() {
        String java = ProcessHandle.current().info().command().orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        String cp = System.getProperty("java.class.path");
        List<String> parts = List.of(java, "-Xshare:auto", "-XX:+UseSerialGC", "-Xmx128m",
                "-Xss512k", "-cp", cp, "dev.gridmesh.cli.Main", "tunnel");
        StringBuilder b = new StringBuilder();
        for (String p : parts) {
            b.append(quote(p)).append(' ');
        }
        return b.append("%h %p").toString();
    }

    /** Single-quoted for the shell that ssh runs ProxyCommand with; ssh expands %-tokens, so % is doubled. */
    static String quote(String s) {
        String q = s.replace("%", "%%");
        return q.matches("[A-Za-z0-9_./:=+,@-]+") ? q : "'" + q.replace("'", "'\\''") + "'";
    }
}
