package dev.gridmesh.integration.relay;

import dev.gridmesh.testsupport.lab.LabException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The built {@code gridmesh} command, run as a JVM on {@code cli/target/dist/lib} directly (what the launcher's last
 * line does), so that a test never triggers the launcher's rebuild while others edit the tree. Short admin and
 * status calls get a small heap and the C1 compiler (fast start); daemons get the default JIT.
 */
final class GridmeshCli {
    private GridmeshCli() {}

    static Path repoRoot() {
        for (Path d = Path.of("").toAbsolutePath(); d != null; d = d.getParent()) {
            if (Files.isExecutable(d.resolve("gridmesh")) && Files.exists(d.resolve("pom.xml"))) {
                return d;
            }
        }
        throw new LabException("no gridmesh launcher found above " + Path.of("").toAbsolutePath());
    }

    private static volatile Path snapshot;

    static Path distLib() {
        return repoRoot().resolve("cli/target/dist/lib");
    }

    /**
     * A private copy of the distribution taken once per JVM ({@code target/gridmesh-lib}), so that a rebuild of
     * {@code cli/target/dist/lib} by someone else in the middle of a test (a relay restarted later) cannot mix jars.
     */
    static Path lib() {
        Path s = snapshot;
        return s != null ? s : distLib();
    }

    /** A short-lived command ({@code relay token create}, {@code status --json}). */
    static List<String> command(String... args) {
        return java(List.of("-Xmx96m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC"), args);
    }

    /** A daemon ({@code relay}, {@code agent}). */
    static List<String> daemon(String... args) {
        return java(List.of("-Xmx256m"), args);
    }

    private static List<String> java(List<String> jvm, String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(jvm);
        cmd.addAll(List.of("-Xss512k", "--enable-native-access=ALL-UNNAMED", "-cp", lib() + "/*",
                "dev.gridmesh.cli.Main"));
        cmd.addAll(List.of(args));
        return cmd;
    }

    /** Builds the distribution once (through the launcher) if {@code cli/target/dist/lib} is missing. */
    static synchronized void ensureBuilt() {
        if (snapshot != null) {
            return;
        }
        if (!Files.isDirectory(distLib())) {
            build();
        }
        Path copy = Path.of("target", "gridmesh-lib").toAbsolutePath();
        try {
            if (Files.isDirectory(copy)) {
                try (var old = Files.list(copy)) {
                    for (Path f : old.toList()) {
                        Files.delete(f);
                    }
                }
            }
            Files.createDirectories(copy);
            try (var jars = Files.list(distLib())) {
                for (Path j : jars.filter(f -> f.toString().endsWith(".jar")).toList()) {
                    Files.copy(j, copy.resolve(j.getFileName()));
                }
            }
        } catch (java.io.IOException e) {
            throw new LabException("cannot copy " + distLib() + " to " + copy, e);
        }
        snapshot = copy;
    }

    private static void build() {
        try {
            Process p = new ProcessBuilder(repoRoot().resolve("gridmesh").toString(), "--version")
                    .redirectErrorStream(true).start();
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(15, TimeUnit.MINUTES) || p.exitValue() != 0) {
                throw new LabException("gridmesh --version failed: " + new String(out));
            }
        } catch (java.io.IOException e) {
            throw new LabException("cannot build gridmesh", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new LabException("interrupted", e);
        }
    }
}
