package dev.gridmesh.integration.wg;

import dev.gridmesh.testsupport.lab.LabException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * How the tests run the built {@code gridmesh} command: the launcher {@code <repo>/gridmesh}, found by walking up
 * from the module directory. {@link #ensureBuilt()} runs it once with a long bound, because a fresh checkout's first
 * launcher call builds the whole project.
 *
 * <p>{@code -Dgridmesh.it.direct=true} runs the JVM on {@code cli/target/dist/lib} directly instead, as the launcher's
 * last line does: use it while others edit the tree, or the launcher rebuilds in the middle of a test.
 */
final class Gridmesh {
    private static volatile boolean built;

    private Gridmesh() {}

    static Path repoRoot() {
        Path dir = Path.of("").toAbsolutePath();
        for (Path d = dir; d != null; d = d.getParent()) {
            if (Files.isExecutable(d.resolve("gridmesh")) && Files.exists(d.resolve("pom.xml"))) {
                return d;
            }
        }
        throw new LabException("no gridmesh launcher found above " + dir);
    }

    static Path launcher() {
        return repoRoot().resolve("gridmesh");
    }

    /** The command line for {@code gridmesh ARGS}. */
    static List<String> command(String... args) {
        List<String> cmd = new ArrayList<>();
        if (Boolean.getBoolean("gridmesh.it.direct")) {
            cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
            cmd.addAll(List.of("-Xss512k", "--enable-native-access=ALL-UNNAMED", "-cp",
                    repoRoot().resolve("cli/target/dist/lib").toString() + "/*", "dev.gridmesh.cli.Main"));
        } else {
            cmd.add(launcher().toString());
        }
        cmd.addAll(List.of(args));
        return cmd;
    }

    /** Runs {@code gridmesh --version} once per JVM, allowing the launcher up to 15 minutes to build the project. */
    static synchronized void ensureBuilt() {
        if (built) {
            return;
        }
        adoptMavenBuild();
        List<String> cmd = command("--version");
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(15, TimeUnit.MINUTES)) {
                p.destroyForcibly();
                throw new LabException("gridmesh --version did not finish in 15 minutes");
            }
            if (p.exitValue() != 0) {
                throw new LabException("gridmesh --version failed (exit " + p.exitValue() + "): " + new String(out)
                        + "\nbuild log: " + repoRoot().resolve(".build.log"));
            }
        } catch (java.io.IOException e) {
            throw new LabException("cannot run " + cmd, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new LabException("interrupted building gridmesh", e);
        }
        built = true;
    }

    /**
     * When Maven itself just built {@code cli/target/dist/lib} (as {@code mvn -Pit install} does before this module's
     * tests) the launcher has no stamp yet and would build everything a second time. If the CLI jar is newer than
     * every source and pom, that build is current: write the launcher's stamp, as the launcher does after building.
     */
    private static void adoptMavenBuild() {
        Path root = repoRoot();
        Path stamp = root.resolve("cli/target/dist/.built");
        Path lib = root.resolve("cli/target/dist/lib");
        if (Files.exists(stamp) || !Files.isDirectory(lib)) {
            return;
        }
        try (var jars = Files.list(lib)) {
            var cliJar = jars.filter(j -> j.getFileName().toString().startsWith("gridmesh-cli-")).findFirst();
            if (cliJar.isEmpty()) {
                return;
            }
            long built = Files.getLastModifiedTime(cliJar.get()).toMillis();
            try (var files = Files.walk(root)) {
                boolean newer = files
                        .filter(f -> !f.toString().contains("/target/") && !f.toString().contains("/.git/"))
                        .filter(f -> f.toString().endsWith(".java") || f.getFileName().toString().equals("pom.xml")
                                || f.toString().contains("/src/main/resources/"))
                        .anyMatch(f -> {
                            try {
                                return Files.getLastModifiedTime(f).toMillis() > built;
                            } catch (java.io.IOException e) {
                                return true;
                            }
                        });
                if (!newer) {
                    Files.createFile(stamp);
                }
            }
        } catch (java.io.IOException e) {
            // leave it to the launcher
        }
    }

    static Duration startTimeout() {
        return Duration.ofSeconds(60);
    }
}
