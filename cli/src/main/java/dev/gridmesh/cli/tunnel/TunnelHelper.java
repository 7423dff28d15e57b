package dev.gridmesh.cli.tunnel;

import dev.gridmesh.protocol.stream.StreamTarget;
import java.io.BufferedInputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The per-user persistent tunnel helper ({@code gridmesh tunnel-daemon}): what OpenSSH's ControlMaster/ControlPersist
 * is to ssh. The first {@code gridmesh tunnel} (a JVM) starts it detached; later ProxyCommands reach it from the bash
 * launcher over 127.0.0.1 without starting a JVM (docs/tunnels.md, "The tunnel helper").
 * <pre>
 *   CONFIG_DIR/tunnel-helper (0600, written atomically):  GMT1 PORT SECRET PID\n
 *   CONFIG_DIR/tunnel-helper.lock: held while a helper runs (one helper per user and config dir)
 *
 *   every connection to 127.0.0.1:PORT starts with one line (at most 1 KiB, within 5 s):
 *   conn 1:  GMT1 SECRET tunnel VIA NODE PORT [STATE_DIR]\n -> OK ID\n | ERR reason\n (then closed)
 *            after OK: the client's bytes toward NODE:PORT until the client closes this connection = the exact
 *            half-close toward the node (bash cannot shutdown(2) a socket, but closing its only descriptor is EOF)
 *   conn 2:  GMT1 SECRET attach ID\n          (no answer) then NODE's bytes; closed when NODE half-closes
 *   conn 3:  GMT1 SECRET status ID\n          -> OK\n | ERR reason\n once the stream ended (exit code 0 | 1)
 *   any:     GMT1 SECRET ping\n               -> OK\n (the JVM path: is a helper, not just something, there?)
 *   any:     GMT1 SECRET stop\n               -> OK\n, the file is removed, the helper exits (login, logout)
 *   a wrong secret: ERR refused\n, counted and logged; garbage: closed, counted and logged.
 * </pre>
 * Each stream chooses its route as {@link TunnelCommand} does ({@link MeshRoute#open}, else a {@link TunnelClient}
 * stream through the relay: one TLS connection per stream), with the same one-line reasons. One spare relay
 * connection, TLS done and upgraded, waits for the next stream (made at start and after each stream; dropped when
 * 40 s old, and only renewed within 2 minutes of the last stream: the relay closes streamless connections at 60 s). At most
 * {@link #MAX_CONNECTIONS} connections at once; the helper exits after {@code idle} with no connection and no stream.
 */
public final class TunnelHelper implements AutoCloseable {
    public static final String FILE = "tunnel-helper";
    public static final String LOCK = "tunnel-helper.lock";
    /** The environment variable: idle seconds before the helper exits (default 600); 0 disables the helper. */
    public static final String PERSIST_ENV = "GRIDMESH_TUNNEL_PERSIST";
    /** Set by the bash launcher to its own path: the helper is only useful where the launcher's fast path runs. */
    public static final String LAUNCHER_ENV = "GRIDMESH_LAUNCHER";
    public static final long DEFAULT_IDLE_SECONDS = 600;
    public static final int MAX_CONNECTIONS = 256;
    static final int MAX_LINE = 1024;
    static final int LINE_TIMEOUT_MS = 5_000;
    static final long ATTACH_TIMEOUT_MS = 10_000;
    /** The helper's log is moved to {@code .log.1} when a new helper starts and finds it larger than this. */
    static final long MAX_LOG_BYTES = 1 << 20;

    static final long SPARE_MAX_AGE_NANOS = TimeUnit.SECONDS.toNanos(40);
    static final long SPARE_RENEW_AFTER_USE_NANOS = TimeUnit.MINUTES.toNanos(2);

    /** The counters a helper keeps (logged as they move); {@code spareHits}: relay streams opened on the spare. */
    public record Counters(long streams, long refusedSecret, long garbage, long busy, long spareHits) {}

    /** One tunnel stream between its {@code tunnel} and {@code attach} connections. */
    private static final class Stream {
        final CompletableFuture<Socket> down = new CompletableFuture<>();
        final CompletableFuture<String> outcome = new CompletableFuture<>(); // "" ok, else the reason
    }

    private final Path configDir;
    private final long idleNanos;
    private final PrintStream log;
    private final ServerSocket server;
    private final String secret;
    private final FileChannel lockChannel;
    private final FileLock lock;
    private final String fileText;
    private final Semaphore slots = new Semaphore(MAX_CONNECTIONS);
    private final Map<Long, Stream> streams = new ConcurrentHashMap<>();
    private final Map<Long, Stream> ended = new LinkedHashMap<>(); // guarded by itself; the last 256, for status
    private final AtomicLong nextId = new AtomicLong(1);
    private final AtomicLong streamCount = new AtomicLong();
    private final AtomicLong refusedSecret = new AtomicLong();
    private final AtomicLong garbage = new AtomicLong();
    private final AtomicLong busy = new AtomicLong();
    private final AtomicLong spareHits = new AtomicLong();
    private final Object spareLock = new Object();
    private TunnelClient spare; // guarded by spareLock
    private long spareBorn; // guarded by spareLock
    private boolean refilling; // guarded by spareLock
    private volatile long lastRelayStream = System.nanoTime();
    private final Object idleLock = new Object();
    private int active; // connections being served, guarded by idleLock
    private long idleSince; // guarded by idleLock
    private final CompletableFuture<Void> closed = new CompletableFuture<>();
    private volatile boolean closing;

    private TunnelHelper(Path configDir, long idleNanos, PrintStream log, ServerSocket server, String secret,
            FileChannel lockChannel, FileLock lock) {
        this.configDir = configDir;
        this.idleNanos = idleNanos;
        this.log = log;
        this.server = server;
        this.secret = secret;
        this.lockChannel = lockChannel;
        this.lock = lock;
        this.fileText = "GMT1 " + server.getLocalPort() + " " + secret + " " + ProcessHandle.current().pid() + "\n";
        this.idleSince = System.nanoTime();
    }

    /**
     * Starts a helper for {@code configDir}: binds 127.0.0.1:0, writes the file, serves on its own threads. Returns
     * null when another helper holds the lock (it serves instead).
     */
    public static TunnelHelper start(Path configDir, long idleNanos, PrintStream log) throws IOException {
        Files.createDirectories(configDir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        FileChannel ch = FileChannel.open(configDir.resolve(LOCK), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        FileLock l;
        try {
            l = ch.tryLock();
        } catch (OverlappingFileLockException e) {
            l = null;
        }
        if (l == null) {
            ch.close();
            return null;
        }
        ServerSocket s = new ServerSocket();
        try {
            s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 128);
            byte[] r = new byte[32];
            new SecureRandom().nextBytes(r);
            TunnelHelper h = new TunnelHelper(configDir, idleNanos, log, s, HexFormat.of().formatHex(r), ch, l);
            h.writeFile();
            Thread.ofPlatform().name("tunnel-helper-accept").daemon().start(h::acceptLoop);
            Thread.ofPlatform().name("tunnel-helper-idle").daemon().start(h::idleLoop);
            Thread.ofVirtual().name("tunnel-helper-warmup").start(h::warmUp);
            h.log("listening on 127.0.0.1:" + s.getLocalPort() + ", exits after " + idleNanos / 1_000_000_000L
                    + " s idle; file " + configDir.resolve(FILE));
            return h;
        } catch (IOException | RuntimeException e) {
            s.close();
            l.release();
            ch.close();
            throw e;
        }
    }

    public int port() {
        return server.getLocalPort();
    }

    String secret() {
        return secret;
    }

    public Counters counters() {
        return new Counters(streamCount.get(), refusedSecret.get(), garbage.get(), busy.get(), spareHits.get());
    }

    /** Completes once the helper stopped (idle, {@code stop}, {@link #close}). */
    public CompletableFuture<Void> closed() {
        return closed;
    }

    private void log(String msg) {
        log.println(Instant.now() + " tunnel-helper: " + msg);
        log.flush();
    }

    private void writeFile() throws IOException {
        Path tmp = configDir.resolve(FILE + "." + ProcessHandle.current().pid() + ".tmp");
        Files.deleteIfExists(tmp);
        Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(tmp, fileText, StandardCharsets.US_ASCII);
        Files.move(tmp, configDir.resolve(FILE), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private void acceptLoop() {
        while (!closing) {
            Socket c;
            try {
                c = server.accept();
            } catch (IOException e) {
                if (!closing) {
                    log("accept: " + e.getMessage() + "; stopping");
                    close();
                }
                return;
            }
            if (!slots.tryAcquire()) {
                busy.incrementAndGet();
                log("refused a connection: " + MAX_CONNECTIONS + " connections open (total busy " + busy.get() + ")");
                reply(c, "ERR tunnel helper busy (" + MAX_CONNECTIONS + " connections open)");
                closeQuietly(c);
                continue;
            }
            synchronized (idleLock) {
                active++;
            }
            Thread.ofVirtual().name("tunnel-helper-conn").start(() -> {
                boolean keep = false;
                try {
                    keep = serve(c);
                } catch (IOException | RuntimeException e) {
                    log("connection: " + e);
                } finally {
                    if (!keep) {
                        closeQuietly(c);
                    }
                    slots.release();
                    synchronized (idleLock) {
                        active--;
                        idleSince = System.nanoTime();
                    }
                }
            });
        }
    }

    /**
     * The first spare relay connection, at start: also loads and initialises the TLS, HTTP and pin code, so the
     * first stream a launcher asks for does not pay that (over a second under load) itself. Then, every 10 s, drops a
     * spare older than 40 s and renews it if a relay stream was opened within the last 2 minutes.
     */
    private void warmUp() {
        long t0 = System.nanoTime();
        refillSpare();
        synchronized (spareLock) {
            if (spare != null) {
                log(String.format("warmed up: a spare relay connection in %.1f ms", (System.nanoTime() - t0) / 1e6));
            }
        }
        while (!closing) {
            synchronized (idleLock) {
                try {
                    idleLock.wait(10_000);
                } catch (InterruptedException e) {
                    return;
                }
            }
            boolean renew;
            synchronized (spareLock) {
                if (spare != null && System.nanoTime() - spareBorn > SPARE_MAX_AGE_NANOS) {
                    spare.close();
                    spare = null;
                }
                renew = spare == null && !closing && System.nanoTime() - lastRelayStream < SPARE_RENEW_AFTER_USE_NANOS;
            }
            if (renew) {
                refillSpare();
            }
        }
    }

    /** Dials and upgrades a spare relay connection unless one is there or on its way; failures only logged. */
    private void refillSpare() {
        synchronized (spareLock) {
            if (spare != null || refilling || closing) {
                return;
            }
            refilling = true;
        }
        TunnelClient t = null;
        try {
            t = new TunnelClient(Credentials.load(configDir));
            t.upgrade();
        } catch (IOException | RuntimeException e) {
            if (t != null) {
                t.close();
            }
            t = null;
            log("spare relay connection: " + oneLine(e.getMessage()));
        }
        synchronized (spareLock) {
            refilling = false;
            if (t != null && !closing) {
                spare = t;
                spareBorn = System.nanoTime();
            } else if (t != null) {
                t.close();
            }
        }
    }

    /** Whether a spare relay connection waits (tests). */
    boolean spareReady() {
        synchronized (spareLock) {
            return spare != null;
        }
    }

    /** Closes the spare's socket but leaves it in place, as a relay restart would (tests). */
    void breakSpare() {
        synchronized (spareLock) {
            if (spare != null) {
                spare.close();
            }
        }
    }

    /**
     * A relay stream to {@code target}: on the spare connection when a fresh one waits (a refusal there is the
     * answer; a dead spare is dropped and a new connection dialled), else on a new connection. Then a new spare.
     */
    private TunnelClient openRelay(StreamTarget target) throws IOException {
        Credentials c = Credentials.load(configDir); // not logged in (any more): say so, spare or not
        TunnelClient s;
        synchronized (spareLock) {
            s = spare != null && System.nanoTime() - spareBorn < SPARE_MAX_AGE_NANOS ? spare : null;
            if (spare != null && s == null) {
                spare.close();
            }
            spare = null;
        }
        lastRelayStream = System.nanoTime();
        Thread.ofVirtual().name("tunnel-helper-spare").start(this::refillSpare);
        if (s != null) {
            try {
                s.open(target);
                spareHits.incrementAndGet();
                return s;
            } catch (TunnelClient.TunnelException e) {
                s.close();
                throw e;
            } catch (IOException e) {
                s.close(); // gone stale (relay restarted, connection dropped): dial afresh
            }
        }
        TunnelClient t = new TunnelClient(c);
        try {
            t.open(target);
        } catch (IOException e) {
            t.close();
            throw e;
        }
        return t;
    }

    private void idleLoop() {
        synchronized (idleLock) {
            while (!closing) {
                long now = System.nanoTime();
                boolean idle = active == 0 && streams.isEmpty();
                if (idle && now - idleSince >= idleNanos) {
                    break;
                }
                long wait = idle ? idleNanos - (now - idleSince) : idleNanos;
                try {
                    TimeUnit.NANOSECONDS.timedWait(idleLock, Math.max(wait, 1_000_000));
                } catch (InterruptedException e) {
                    return;
                }
            }
            if (closing) {
                return;
            }
        }
        log("idle for " + idleNanos / 1_000_000_000L + " s: exiting");
        close();
    }

    /** Waits until no stream is open (after {@link #close}: open sessions end by themselves). */
    public void awaitStreams() throws InterruptedException {
        synchronized (idleLock) {
            while (!streams.isEmpty()) {
                idleLock.wait();
            }
        }
    }

    /** One line up to '\n' (not included), read byte by byte so nothing after it is consumed; null on garbage. */
    private static String readLine(InputStream in) throws IOException {
        StringBuilder b = new StringBuilder();
        while (true) {
            int c = in.read();
            if (c < 0 || b.length() >= MAX_LINE) {
                return null;
            }
            if (c == '\n') {
                return b.toString();
            }
            if (c < 0x20 || c > 0x7e) {
                return null;
            }
            b.append((char) c);
        }
    }

    private static void reply(Socket c, String line) {
        try {
            OutputStream o = c.getOutputStream();
            o.write((line + "\n").getBytes(StandardCharsets.UTF_8));
            o.flush();
        } catch (IOException ignored) {
            // the client is gone
        }
    }

    /** Serves one connection; true when its socket now belongs to a stream (do not close it). */
    private boolean serve(Socket c) throws IOException {
        c.setSoTimeout(LINE_TIMEOUT_MS);
        c.setTcpNoDelay(true);
        InputStream in = new BufferedInputStream(c.getInputStream(), 64 * 1024);
        String line;
        try {
            line = readLine(in);
        } catch (SocketTimeoutException e) {
            line = null;
        }
        String[] w = line == null ? new String[0] : line.split(" ", 7);
        if (w.length < 3 || !w[0].equals("GMT1")) {
            long n = garbage.incrementAndGet();
            log("refused a connection: not a GMT1 request line (total garbage " + n + ")");
            return false;
        }
        if (!MessageDigest.isEqual(w[1].getBytes(StandardCharsets.US_ASCII), secret.getBytes(StandardCharsets.US_ASCII))) {
            long n = refusedSecret.incrementAndGet();
            log("refused a connection: wrong secret (total refused " + n + ")");
            reply(c, "ERR refused: wrong secret");
            return false;
        }
        c.setSoTimeout(0);
        switch (w[2]) {
            case "tunnel" -> {
                if (w.length < 6) {
                    garbage.incrementAndGet();
                    reply(c, "ERR bad request: expected GMT1 SECRET tunnel VIA NODE PORT [STATE_DIR]");
                    return false;
                }
                tunnel(c, in, w[3], w[4], w[5], w.length > 6 ? w[6] : null);
                return false;
            }
            case "attach", "status" -> {
                Stream s = null;
                long id = -1;
                if (w.length == 4) {
                    try {
                        id = Long.parseLong(w[3]);
                    } catch (NumberFormatException e) {
                        id = -1;
                    }
                    s = streams.get(id);
                    if (s == null) {
                        synchronized (ended) {
                            s = ended.get(id);
                        }
                    }
                }
                if (s == null) {
                    garbage.incrementAndGet();
                    reply(c, "ERR no stream " + (w.length > 3 ? w[3] : ""));
                    return false;
                }
                if (w[2].equals("attach")) {
                    return s.down.complete(c);
                }
                try {
                    String r = s.outcome.get(1, TimeUnit.DAYS);
                    reply(c, r.isEmpty() ? "OK" : "ERR " + r);
                } catch (InterruptedException | ExecutionException | TimeoutException e) {
                    reply(c, "ERR " + e.getMessage());
                }
                return false;
            }
            case "ping" -> {
                reply(c, "OK");
                return false;
            }
            case "stop" -> {
                log("stop requested: exiting");
                deleteOwnFile();
                reply(c, "OK");
                close();
                return false;
            }
            default -> {
                garbage.incrementAndGet();
                log("refused a request: unknown command " + w[2]);
                reply(c, "ERR unknown command " + w[2]);
                return false;
            }
        }
    }

    /** The reason line of a failure, as TunnelCommand prints it after "gridmesh: ". */
    private static String oneLine(String s) {
        return s == null ? "failed" : s.replace('\n', ' ').replace('\r', ' ');
    }

    private void tunnel(Socket up, InputStream upIn, String viaText, String node, String portText, String stateDirText) {
        MeshRoute.Via via;
        StreamTarget target;
        try {
            via = MeshRoute.Via.parse(viaText);
            target = new StreamTarget(node, Integer.parseInt(portText));
        } catch (IllegalArgumentException e) {
            reply(up, "ERR tunnel: " + node + " " + portText + ": " + oneLine(e.getMessage()));
            return;
        }
        Path stateDir = stateDirText != null ? Path.of(stateDirText) : MeshRoute.defaultStateDir();
        long t0 = System.nanoTime();
        Socket mesh;
        try {
            mesh = MeshRoute.open(via, stateDir, node, target.port());
        } catch (IOException e) {
            reply(up, "ERR tunnel " + target + ": " + oneLine(e.getMessage()));
            return;
        }
        TunnelClient relay = null;
        if (mesh == null) {
            try {
                relay = openRelay(target);
            } catch (IOException e) {
                reply(up, "ERR " + oneLine(e.getMessage()));
                return;
            }
        }
        long id = nextId.getAndIncrement();
        Stream s = new Stream();
        streams.put(id, s);
        streamCount.incrementAndGet();
        log(String.format("stream %d %s via %s, open in %.1f ms", id, target, mesh != null ? "mesh" : "relay",
                (System.nanoTime() - t0) / 1e6));
        try {
            reply(up, "OK " + id);
            Socket down;
            try {
                down = s.down.get(ATTACH_TIMEOUT_MS, TimeUnit.MILLISECONDS);
            } catch (InterruptedException | ExecutionException | TimeoutException | java.util.concurrent.CancellationException e) {
                s.outcome.complete("tunnel " + target + ": the client did not attach in time");
                log("stream " + id + " " + target + ": no attach within " + ATTACH_TIMEOUT_MS + " ms");
                return;
            }
            try (down) {
                // the attach connection's close (the node half-closed) records the clean outcome first, so a
                // status that follows the client's EOF answers OK at once
                OutputStream toClient = new SocketOutput(down, () -> {
                    s.outcome.complete("");
                    down.close();
                });
                if (mesh != null) {
                    try {
                        MeshRoute.pump(mesh, upIn, toClient, true);
                        s.outcome.complete("");
                    } catch (IOException e) {
                        s.outcome.complete("tunnel " + target + ": " + oneLine(e.getMessage()));
                    }
                } else {
                    try {
                        relay.pump(upIn, toClient, true);
                        s.outcome.complete("");
                    } catch (IOException e) {
                        s.outcome.complete(oneLine(e.getMessage()));
                    }
                }
            } catch (IOException ignored) {
                // closing the client's connection
            }
        } finally {
            s.outcome.complete("tunnel " + target + ": helper stopped");
            if (relay != null) {
                relay.close();
            }
            if (mesh != null) {
                closeQuietly(mesh);
            }
            streams.remove(id);
            synchronized (ended) {
                ended.put(id, s);
                if (ended.size() > 256) {
                    ended.remove(ended.keySet().iterator().next());
                }
            }
            synchronized (idleLock) {
                idleSince = System.nanoTime();
                idleLock.notifyAll();
            }
        }
    }

    private void deleteOwnFile() {
        Path f = configDir.resolve(FILE);
        try {
            if (Files.readString(f, StandardCharsets.US_ASCII).equals(fileText)) {
                Files.deleteIfExists(f);
            }
        } catch (IOException ignored) {
            // gone or replaced: not ours to delete
        }
    }

    /**
     * Stops serving, like {@code ssh -O stop}: removes its file (if still its own), closes the port, drops streams
     * not yet attached and releases the lock; attached sessions run on ({@link #awaitStreams}).
     */
    @Override
    public void close() {
        synchronized (this) {
            if (closed.isDone()) {
                return;
            }
            closing = true;
            deleteOwnFile();
            closeQuietly(server);
            synchronized (spareLock) {
                if (spare != null) {
                    spare.close();
                    spare = null;
                }
            }
            for (Stream s : List.copyOf(streams.values())) {
                s.down.cancel(false); // not attached yet: dropped; attached sessions run to their end
            }
            try {
                lock.release();
                lockChannel.close();
            } catch (IOException ignored) {
                // exiting
            }
            synchronized (idleLock) {
                idleLock.notifyAll();
            }
            log("stopped (streams " + streamCount.get() + ", wrong secrets " + refusedSecret.get() + ", garbage "
                    + garbage.get() + ", busy " + busy.get() + ")");
        }
        closed.complete(null);
    }

    private static void closeQuietly(java.io.Closeable c) {
        try {
            c.close();
        } catch (IOException ignored) {
            // closing
        }
    }

    // ---- the helper's file, seen from clients (login, logout, the JVM tunnel path) ----

    /** What a helper's file says. */
    record Info(int port, String secret, long pid) {}

    static Info read(Path configDir) {
        try {
            String[] w = Files.readString(configDir.resolve(FILE), StandardCharsets.US_ASCII).strip().split(" ");
            if (w.length == 4 && w[0].equals("GMT1")) {
                return new Info(Integer.parseInt(w[1]), w[2], Long.parseLong(w[3]));
            }
        } catch (NoSuchFileException e) {
            return null;
        } catch (IOException | RuntimeException e) {
            return null;
        }
        return null;
    }

    /** Sends {@code GMT1 SECRET CMD} and returns the answer line, or null when no helper answers. */
    static String call(Info info, String cmd, int timeoutMs) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), info.port()), timeoutMs);
            s.setSoTimeout(timeoutMs);
            s.getOutputStream().write(("GMT1 " + info.secret() + " " + cmd + "\n").getBytes(StandardCharsets.US_ASCII));
            return readLine(s.getInputStream());
        } catch (IOException e) {
            return null;
        }
    }

    /**
     * Whether the helper of {@code configDir}'s file answers {@code ping} with its secret (not merely something
     * listening on a port a dead helper once had).
     */
    static boolean running(Path configDir) {
        Info i = read(configDir);
        return i != null && "OK".equals(call(i, "ping", 1_000));
    }

    /**
     * Stops the helper of {@code configDir} if one runs (login and logout: the credentials changed); removes a
     * stale file. Returns whether a helper was stopped.
     */
    public static boolean stop(Path configDir) {
        Info i = read(configDir);
        if (i == null) {
            return false;
        }
        String r = call(i, "stop", 2_000);
        if (r == null) {
            try {
                Files.deleteIfExists(configDir.resolve(FILE));
            } catch (IOException ignored) {
                // not ours to remove
            }
            return false;
        }
        return r.equals("OK");
    }

    /** Idle seconds from {@link #PERSIST_ENV}: default 600, 0 = disabled; a bad value counts as the default. */
    public static long idleSeconds(Map<String, String> env) {
        String v = env.get(PERSIST_ENV);
        if (v == null || v.isBlank()) {
            return DEFAULT_IDLE_SECONDS;
        }
        try {
            long s = Long.parseLong(v.strip());
            return s < 0 ? DEFAULT_IDLE_SECONDS : s;
        } catch (NumberFormatException e) {
            return DEFAULT_IDLE_SECONDS;
        }
    }

    /** Whether the JVM tunnel path should start a helper: run by the launcher (its fast path can use one), enabled. */
    static boolean wanted(Map<String, String> env) {
        String l = env.get(LAUNCHER_ENV);
        return l != null && !l.isEmpty() && idleSeconds(env) > 0;
    }

    /**
     * Starts a detached helper for {@code configDir} (own session through setsid when there is one; stdio to
     * /dev/null and CACHE/gridmesh/tunnel-helper.log) unless one answers. Never fails the caller: a helper is an
     * optimisation.
     */
    static void ensureStarted(Path configDir) {
        if (running(configDir)) {
            return;
        }
        try {
            String java = ProcessHandle.current().info().command()
                    .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
            List<String> cmd = new ArrayList<>();
            if (Files.isExecutable(Path.of("/usr/bin/setsid"))) {
                cmd.add("/usr/bin/setsid");
            }
            cmd.addAll(List.of(java, "-XX:+UseSerialGC", "-Xmx256m", "-Xss512k", "-cp", System.getProperty("java.class.path"),
                    "dev.gridmesh.cli.Main", "tunnel-daemon"));
            Path logDir = ProxyCommandLine.cacheDir();
            Files.createDirectories(logDir);
            Path logFile = logDir.resolve("tunnel-helper.log");
            if (Files.isRegularFile(logFile) && Files.size(logFile) > MAX_LOG_BYTES) { // one line per stream adds up
                Files.move(logFile, logDir.resolve("tunnel-helper.log.1"), StandardCopyOption.REPLACE_EXISTING);
            }
            ProcessBuilder pb = new ProcessBuilder(cmd)
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()))
                    .redirectErrorStream(true);
            pb.environment().put("GRIDMESH_HELPER_CONFIG_DIR", configDir.toString());
            pb.start();
        } catch (IOException | RuntimeException e) {
            // no helper this time: the next tunnel tries again
        }
    }

    /**
     * {@code gridmesh tunnel-daemon [--stop]} (hidden; started by the JVM tunnel path): serves until idle, or stops
     * the running helper. Exit 0.
     */
    public static int main(String[] args) {
        Path dir = System.getenv("GRIDMESH_HELPER_CONFIG_DIR") != null
                ? Path.of(System.getenv("GRIDMESH_HELPER_CONFIG_DIR")) : Credentials.configDir();
        if (args.length > 1 && args[1].equals("--stop")) {
            boolean stopped = stop(dir);
            System.out.println(stopped ? "tunnel helper stopped" : "no tunnel helper running");
            return 0;
        }
        if (args.length > 1) {
            System.err.println("gridmesh: tunnel-daemon: usage: gridmesh tunnel-daemon [--stop]");
            return 2;
        }
        long idle = idleSeconds(System.getenv());
        if (idle == 0) {
            System.err.println("gridmesh: tunnel-daemon: disabled (" + PERSIST_ENV + "=0)");
            return 1;
        }
        try {
            TunnelHelper h = start(dir, TimeUnit.SECONDS.toNanos(idle), System.err);
            if (h == null) {
                return 0; // another helper serves
            }
            h.closed().join();
            h.awaitStreams();
            return 0;
        } catch (IOException e) {
            System.err.println("gridmesh: tunnel-daemon: " + e.getMessage());
            return 1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 1;
        }
    }
}
