package dev.gridmesh.testsupport.lab;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * A network-namespace lab owned by one test: namespaces named {@code gm<run><role>} (run = 4 random base-36
 * characters), veth links with 198.18.0.0/15 addresses only, NAT routers, and processes run inside namespaces with
 * their output collected under {@code target/netns-logs/<test>/}.
 *
 * <p>Everything is torn down by {@link #close()}, by a JVM shutdown hook if the JVM exits first, and by
 * {@link LabSweeper} at the start of any later run if this JVM was killed outright (each run registers its owner
 * process in {@code /run/gridmesh-lab/<run>}).
 *
 * <p>Use {@link #open(String, String...)} at the start of a test: it skips the test (JUnit assumption) when not root or
 * a required tool is missing, except under {@code CI=true}, where it fails instead: CI must never skip these tests.
 *
 * <p>Waiting is done with {@link #await(String, Duration, BooleanSupplier)}: a bounded poll, never a bare sleep.
 * Not thread-safe except {@link #await} and the per-namespace exec/spawn calls.
 */
public final class Lab implements AutoCloseable {
    /** Upper bound for one short command ({@code ip}, {@code iptables}, {@code wg}). */
    public static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(30);
    /** Where each run records its owner process so that {@link LabSweeper} can find runs whose JVM died. */
    public static final Path REGISTRY = Path.of("/run/gridmesh-lab");
    /** Namespace names of every lab start with this. */
    public static final String PREFIX = "gm";
    private static final Pattern ROLE = Pattern.compile("[a-z][a-z0-9]{0,5}");
    private static final int IFNAMSIZ = 15;
    private static final String RUN_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789";

    private final String runId;
    private final Path logDir;
    private final Path commandLog;
    private final List<Netns> namespaces = new ArrayList<>();
    private final List<LabProcess> processes = new ArrayList<>();
    private final Map<Netns, Set<String>> ifnamesByNs = new HashMap<>();
    private final Map<String, Integer> logNames = new HashMap<>();
    private final Thread shutdownHook;
    private boolean closed;

    private Lab(String runId, Path logDir) {
        this.runId = runId;
        this.logDir = logDir;
        this.commandLog = logDir.resolve("commands.log");
        this.shutdownHook = Thread.ofPlatform().unstarted(this::tearDown);
    }

    /**
     * Opens a lab for the test {@code testName} (used as the log directory name). Skips the test (or fails it under
     * {@code CI=true}) unless running as root with {@code ip}, {@code iptables} and every tool in {@code tools}.
     */
    public static Lab open(String testName, String... tools) {
        requirePreconditions(tools);
        LabSweeper.sweepStale();
        String runId = newRunId();
        Path logDir = Path.of("target", "netns-logs", sanitize(testName)).toAbsolutePath();
        try {
            Files.createDirectories(REGISTRY);
            while (true) { // claim the run id atomically: two JVMs starting together never share one
                try {
                    Files.writeString(REGISTRY.resolve(PREFIX + runId),
                            LabSweeper.ownerRecord(ProcessHandle.current().pid()), StandardOpenOption.CREATE_NEW,
                            StandardOpenOption.WRITE);
                    break;
                } catch (java.nio.file.FileAlreadyExistsException e) {
                    runId = newRunId();
                }
            }
            if (Files.isDirectory(logDir)) {
                try (var files = Files.list(logDir)) {
                    for (Path f : files.toList()) {
                        if (Files.isRegularFile(f)) {
                            Files.delete(f);
                        }
                    }
                }
            }
            Files.createDirectories(logDir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Lab lab = new Lab(runId, logDir);
        Runtime.getRuntime().addShutdownHook(lab.shutdownHook);
        lab.note("lab " + PREFIX + runId + " for " + testName + " at " + Instant.now());
        return lab;
    }

    /**
     * Skips (assumption) the current test unless it can run here: root and the given tools on PATH. Under
     * {@code CI=true} a missing precondition fails the test instead.
     */
    public static void requirePreconditions(String... tools) {
        if (!isRoot()) {
            skipOrFail("netns lab test needs root (network namespaces, veth, iptables); run as root, e.g. "
                    + "`sudo -E mvn -Pit ...`");
        }
        List<String> missing = new ArrayList<>();
        for (String tool : concat(List.of("ip", "iptables", "conntrack", "ping", "bash"), tools)) {
            if (!onPath(tool)) {
                missing.add(tool);
            }
        }
        if (!missing.isEmpty()) {
            skipOrFail("netns lab test needs these tools on PATH: " + String.join(", ", missing)
                    + " (Debian: apt-get install iproute2 iptables conntrack iputils-ping wireguard-go wireguard-tools"
                    + " socat iperf3)");
        }
    }

    /** True when the environment says this is CI ({@code CI=true}): lab tests must then run, never skip. */
    public static boolean isCi() {
        return "true".equalsIgnoreCase(System.getenv("CI"));
    }

    private static void skipOrFail(String message) {
        if (isCi()) {
            Assertions.fail(message + " [CI=true: netns tests must run, not skip]");
        }
        Assumptions.abort(message);
    }

    /** The per-run suffix, e.g. {@code k3f9}. */
    public String runId() {
        return runId;
    }

    /** The test's log directory: commands.log plus one .out/.err pair per spawned process. */
    public Path logDir() {
        return logDir;
    }

    /** A file in the log directory (configs, keys, hashes). */
    public Path file(String name) {
        return logDir.resolve(name);
    }

    /**
     * A name for a device that must be unique on the whole machine, not only in its namespace (wireguard-go's UAPI
     * socket lives in the shared /var/run/wireguard): {@code gm<run><role>}, at most 15 characters.
     */
    public String globalIfname(String role) {
        requireRole(role);
        return PREFIX + runId + role;
    }

    /** Creates namespace {@code gm<run><role>} with loopback up. {@code role}: 1-6 of [a-z0-9], letter first. */
    public Netns netns(String role) {
        requireOpen();
        requireRole(role);
        String name = PREFIX + runId + role;
        for (Netns ns : namespaces) {
            if (ns.name().equals(name)) {
                throw new IllegalArgumentException("namespace role already used: " + role);
            }
        }
        execHost(List.of("ip", "netns", "add", name)).requireOk();
        Netns ns = new Netns(this, name, role);
        namespaces.add(ns);
        ifnamesByNs.put(ns, new HashSet<>(Set.of("lo")));
        ns.execOk("ip", "link", "set", "lo", "up");
        return ns;
    }

    /**
     * Creates a veth pair between {@code a} and {@code b}, addresses both ends and brings them up. The device in
     * {@code a} is named after {@code b}'s role ({@code v-<role>}) and vice versa, so routes and NAT rules read well.
     */
    public Link link(Netns a, String aCidr, Netns b, String bCidr) {
        requireOpen();
        requireLabAddress(aCidr);
        requireLabAddress(bCidr);
        String aIf = freshIfname(a, "v-" + b.role());
        String bIf = freshIfname(b, "v-" + a.role());
        execHost(List.of("ip", "link", "add", aIf, "netns", a.name(), "type", "veth",
                "peer", "name", bIf, "netns", b.name())).requireOk();
        a.execOk("ip", "addr", "add", aCidr, "dev", aIf);
        b.execOk("ip", "addr", "add", bCidr, "dev", bIf);
        a.execOk("ip", "link", "set", aIf, "up");
        b.execOk("ip", "link", "set", bIf, "up");
        return new Link(a, aIf, aCidr, b, bIf, bCidr);
    }

    private String freshIfname(Netns ns, String base) {
        Set<String> used = ifnamesByNs.get(ns);
        String name = base.length() > IFNAMSIZ ? base.substring(0, IFNAMSIZ) : base;
        for (int i = 2; used.contains(name); i++) {
            String suffix = Integer.toString(i);
            name = base.substring(0, Math.min(base.length(), IFNAMSIZ - suffix.length())) + suffix;
        }
        used.add(name);
        return name;
    }

    /**
     * Polls {@code condition} until it holds or {@code timeout} passes (then fails the test, naming {@code what}
     * and the log directory). Pauses between polls grow from 20 ms to 250 ms.
     */
    public void await(String what, Duration timeout, BooleanSupplier condition) {
        long start = System.nanoTime();
        long deadline = start + timeout.toNanos();
        long pause = TimeUnit.MILLISECONDS.toNanos(20);
        while (true) {
            if (condition.getAsBoolean()) {
                note("awaited " + what + " in " + (System.nanoTime() - start) / 1_000_000 + " ms");
                return;
            }
            if (System.nanoTime() - deadline > 0) {
                note("TIMEOUT awaiting " + what + " after " + timeout);
                throw new AssertionError("timed out after " + timeout + " waiting for " + what
                        + " (logs: " + logDir + ")");
            }
            LockSupport.parkNanos(pause);
            pause = Math.min(pause * 2, TimeUnit.MILLISECONDS.toNanos(250));
        }
    }

    /** Runs a command in the root namespace (key generation, {@code ip netns ...}). */
    public ExecResult execHost(List<String> command) {
        return run(command, Map.of(), COMMAND_TIMEOUT, false);
    }

    /** Like {@link #execHost} but keeps stdout out of commands.log (it holds a private key). */
    ExecResult execHostSecretOutput(List<String> command) {
        return run(command, Map.of(), COMMAND_TIMEOUT, true);
    }

    ExecResult execIn(Netns ns, List<String> command, Map<String, String> env, Duration timeout) {
        requireOpen();
        return run(inNs(ns, command), env, timeout, false);
    }

    LabProcess spawnIn(Netns ns, String logName, List<String> command, Map<String, String> env) {
        requireOpen();
        String unique = uniqueLogName(logName);
        Path out = logDir.resolve(unique + ".out");
        Path err = logDir.resolve(unique + ".err");
        List<String> full = inNs(ns, command);
        ProcessBuilder pb = new ProcessBuilder(full)
                .redirectOutput(out.toFile()).redirectError(err.toFile()).redirectInput(ProcessBuilder.Redirect.from(
                        Path.of("/dev/null").toFile()));
        pb.environment().putAll(env);
        try {
            Process p = pb.start();
            note("spawned " + unique + " pid " + p.pid() + ": " + render(full, env));
            LabProcess lp = new LabProcess(unique, full, p, out, err);
            synchronized (processes) {
                processes.add(lp);
            }
            return lp;
        } catch (IOException e) {
            throw new LabException("cannot start " + render(full, env), e);
        }
    }

    private String uniqueLogName(String logName) {
        String base = sanitize(logName);
        synchronized (logNames) {
            int n = logNames.merge(base, 1, Integer::sum);
            return n == 1 ? base : base + "-" + n;
        }
    }

    private static List<String> inNs(Netns ns, List<String> command) {
        List<String> full = new ArrayList<>(List.of("ip", "netns", "exec", ns.name()));
        full.addAll(command);
        return full;
    }

    private ExecResult run(List<String> command, Map<String, String> env, Duration timeout, boolean secretOutput) {
        ProcessBuilder pb = new ProcessBuilder(command).redirectInput(ProcessBuilder.Redirect.from(
                Path.of("/dev/null").toFile()));
        pb.environment().putAll(env);
        Process p;
        try {
            p = pb.start();
        } catch (IOException e) {
            throw new LabException("cannot run " + render(command, env), e);
        }
        CompletableFuture<String> out = drain(p.getInputStream());
        CompletableFuture<String> err = drain(p.getErrorStream());
        try {
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
                p.waitFor(5, TimeUnit.SECONDS);
                note("TIMEOUT after " + timeout + ": " + render(command, env));
                throw new LabException("command still running after " + timeout + ": " + render(command, env));
            }
            ExecResult r = new ExecResult(command, p.exitValue(), out.join(), err.join());
            note("$ " + render(command, env) + "  -> " + r.exitCode()
                    + (r.stdout().isBlank() ? "" : "\n" + indent(secretOutput ? "(output not logged: secret)"
                            : LabProcess.tail(r.stdout())))
                    + (r.stderr().isBlank() ? "" : "\n" + indent("stderr: " + LabProcess.tail(r.stderr()))));
            return r;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            p.destroyForcibly();
            throw new LabException("interrupted: " + render(command, env), e);
        }
    }

    private static CompletableFuture<String> drain(InputStream in) {
        CompletableFuture<String> f = new CompletableFuture<>();
        Thread.ofVirtual().start(() -> {
            try (in) {
                f.complete(new String(in.readAllBytes(), StandardCharsets.UTF_8));
            } catch (IOException e) {
                f.complete("<read error: " + e + ">");
            }
        });
        return f;
    }

    /** Appends a line to the test's commands.log (what the test did, in order). */
    public void note(String line) {
        if (logDir == null) {
            return;
        }
        try {
            synchronized (commandLog) {
                Files.writeString(commandLog, Instant.now() + " " + line + "\n", StandardCharsets.UTF_8,
                        StandardOpenOption.CREATE, StandardOpenOption.APPEND);
            }
        } catch (IOException e) {
            // the log is a convenience; never let it break a test or a teardown
        }
    }

    /** Stops every process, deletes every namespace of this run. Idempotent; safe after a failed set-up. */
    @Override
    public void close() {
        tearDown();
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException e) {
            // JVM already shutting down: the hook is running or ran
        }
        List<String> left = LabSweeper.namespacesWithPrefix(PREFIX + runId);
        if (!left.isEmpty()) {
            throw new LabException("namespaces left after teardown: " + left + " (see " + commandLog + ")");
        }
    }

    private synchronized void tearDown() {
        if (closed) {
            return;
        }
        closed = true;
        note("teardown");
        List<LabProcess> procs;
        synchronized (processes) {
            procs = new ArrayList<>(processes);
        }
        for (int i = procs.size() - 1; i >= 0; i--) {
            try {
                procs.get(i).stop(Duration.ofSeconds(3));
            } catch (RuntimeException e) {
                note("stopping " + procs.get(i).name() + " failed: " + e);
            }
        }
        LabSweeper.removeRun(PREFIX + runId, this::note);
    }

    private void requireOpen() {
        if (closed) {
            throw new IllegalStateException("lab " + PREFIX + runId + " is closed");
        }
    }

    private static void requireRole(String role) {
        if (!ROLE.matcher(role).matches()) {
            throw new IllegalArgumentException("role: " + role + " (expected: 1-6 of [a-z0-9], starting with a letter)");
        }
    }

    /** Throws unless {@code cidr} (address or address/len) is inside the lab range 198.18.0.0/15. */
    static void requireLabAddress(String cidr) {
        String addr = cidr.contains("/") ? cidr.substring(0, cidr.indexOf('/')) : cidr;
        String[] o = addr.split("\\.");
        if (o.length != 4 || !o[0].equals("198") || !(o[1].equals("18") || o[1].equals("19"))) {
            throw new IllegalArgumentException("lab address: " + cidr + " (expected: inside 198.18.0.0/15)");
        }
    }

    static void requireLabPrefix(String prefix) {
        requireLabAddress(prefix);
    }

    private static boolean isRoot() {
        try {
            Process p = new ProcessBuilder("id", "-u").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            p.waitFor(5, TimeUnit.SECONDS);
            return out.equals("0");
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    static boolean onPath(String tool) {
        String path = System.getenv().getOrDefault("PATH", "/usr/sbin:/usr/bin:/sbin:/bin");
        for (String dir : (path + ":/usr/sbin:/sbin").split(":")) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, tool))) {
                return true;
            }
        }
        return false;
    }

    private static List<String> concat(List<String> a, String[] b) {
        List<String> all = new ArrayList<>(a);
        all.addAll(List.of(b));
        return all;
    }

    private static String newRunId() {
        SecureRandom rnd = new SecureRandom();
        while (true) {
            StringBuilder sb = new StringBuilder(4);
            sb.append(RUN_ALPHABET.charAt(rnd.nextInt(26)));
            for (int i = 0; i < 3; i++) {
                sb.append(RUN_ALPHABET.charAt(rnd.nextInt(RUN_ALPHABET.length())));
            }
            String id = sb.toString();
            if (!Files.exists(REGISTRY.resolve(PREFIX + id)) && LabSweeper.namespacesWithPrefix(PREFIX + id).isEmpty()) {
                return id;
            }
        }
    }

    static String sanitize(String s) {
        return s.replaceAll("[^A-Za-z0-9._-]", "_");
    }

    private static String render(List<String> command, Map<String, String> env) {
        StringBuilder sb = new StringBuilder();
        new LinkedHashMap<>(env).forEach((k, v) -> sb.append(k).append('=').append(v).append(' '));
        for (String c : command) {
            sb.append(c.contains(" ") || c.contains("\n") ? "'" + c + "'" : c).append(' ');
        }
        return sb.toString().strip();
    }

    private static String indent(String s) {
        return "    " + s.strip().replace("\n", "\n    ");
    }

    @Override
    public String toString() {
        return "Lab[" + PREFIX + runId + ", " + namespaces.size() + " namespaces, logs " + logDir + "]";
    }
}
