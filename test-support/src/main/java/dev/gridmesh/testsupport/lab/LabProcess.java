package dev.gridmesh.testsupport.lab;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * A long-running process started in a lab namespace (a VPN daemon, a ping, a transfer). Its stdout and stderr go to
 * {@code NAME.out} / {@code NAME.err} in the test's log directory. {@link Lab#close()} stops it if the test did not.
 */
public final class LabProcess implements AutoCloseable {
    private final String name;
    private final List<String> command;
    private final Process process;
    private final Path stdout;
    private final Path stderr;

    LabProcess(String name, List<String> command, Process process, Path stdout, Path stderr) {
        this.name = Objects.requireNonNull(name, "name");
        this.command = List.copyOf(command);
        this.process = Objects.requireNonNull(process, "process");
        this.stdout = stdout;
        this.stderr = stderr;
    }

    public String name() {
        return name;
    }

    public long pid() {
        return process.pid();
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    public Path stdoutFile() {
        return stdout;
    }

    public Path stderrFile() {
        return stderr;
    }

    /** What the process has written to stdout so far. */
    public String stdout() {
        return read(stdout);
    }

    /** What the process has written to stderr so far. */
    public String stderr() {
        return read(stderr);
    }

    /** Waits (bounded) for the process to exit and returns its exit code; throws if it is still running then. */
    public int waitFor(Duration timeout) {
        try {
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new AssertionError(name + " still running after " + timeout + ": " + String.join(" ", command)
                        + "\nstderr so far: " + tail(stderr()));
            }
            return process.exitValue();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new LabException("interrupted waiting for " + name, e);
        }
    }

    /** SIGTERM to the process and its descendants, then SIGKILL after a grace period. Idempotent. */
    public void stop() {
        stop(Duration.ofSeconds(5));
    }

    public void stop(Duration grace) {
        if (!process.isAlive()) {
            return;
        }
        List<ProcessHandle> children = process.descendants().toList();
        process.destroy();
        children.forEach(ProcessHandle::destroy);
        try {
            if (!process.waitFor(grace.toMillis(), TimeUnit.MILLISECONDS)) {
                kill();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            kill();
        }
        children.forEach(ProcessHandle::destroyForcibly);
    }

    /** SIGKILL to the process and its descendants: a crash, no clean shutdown. */
    public void kill() {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
        try {
            process.waitFor(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        stop();
    }

    @Override
    public String toString() {
        return "LabProcess[" + name + " pid " + process.pid() + (process.isAlive() ? " running" : " exited") + "]";
    }

    static String tail(String s) {
        return s.length() <= 2000 ? s : "..." + s.substring(s.length() - 2000);
    }

    private static String read(Path p) {
        try {
            return Files.exists(p) ? Files.readString(p, StandardCharsets.UTF_8) : "";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
