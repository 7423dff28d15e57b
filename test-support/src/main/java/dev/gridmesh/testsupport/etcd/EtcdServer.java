package dev.gridmesh.testsupport.etcd;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * One etcd member started from the installed binary (Debian's {@code etcd-server}, {@code /usr/bin/etcd}) on
 * 127.0.0.1 with two free ports (client and peer), its data in a fresh temp dir. {@link #start} returns when etcd
 * logs that it serves clients; {@link #close} kills it and deletes the data dir. Its log is kept in memory and
 * shown when it fails to start.
 */
public final class EtcdServer implements AutoCloseable {
    private static final List<Path> CANDIDATES = List.of(Paths.get("/usr/bin/etcd"), Paths.get("/usr/local/bin/etcd"));
    /** What etcd 3.4 logs once it accepts clients (zap logger: "serving client traffic ...", capnslog: "ready to serve client requests"). */
    private static final List<String> READY = List.of("serving client traffic", "ready to serve client requests");

    private final Process process;
    private final Path dataDir;
    private final InetSocketAddress client;
    private final StringBuffer log;
    private final java.util.concurrent.atomic.AtomicBoolean closed = new java.util.concurrent.atomic.AtomicBoolean();

    private EtcdServer(Process process, Path dataDir, InetSocketAddress client, StringBuffer log) {
        this.process = process;
        this.dataDir = dataDir;
        this.client = client;
        this.log = log;
    }

    /** The etcd binary: {@code -Dgridmesh.etcd=PATH}, else /usr/bin/etcd, /usr/local/bin/etcd, else the PATH. */
    public static Optional<Path> binary() {
        String prop = System.getProperty("gridmesh.etcd");
        if (prop != null && !prop.isBlank()) {
            Path p = Paths.get(prop);
            return Files.isExecutable(p) ? Optional.of(p) : Optional.empty();
        }
        for (Path p : CANDIDATES) {
            if (Files.isExecutable(p)) {
                return Optional.of(p);
            }
        }
        String path = System.getenv("PATH");
        if (path != null) {
            for (String dir : path.split(":")) {
                Path p = Paths.get(dir, "etcd");
                if (!dir.isEmpty() && Files.isExecutable(p)) {
                    return Optional.of(p);
                }
            }
        }
        return Optional.empty();
    }

    /** Starts etcd on loopback; a port taken between choosing and binding is retried with new ports (3 tries). */
    public static EtcdServer start(Path binary, Duration timeout) throws IOException {
        IOException last = null;
        for (int attempt = 0; attempt < 3; attempt++) {
            try {
                return startOnce(binary, timeout);
            } catch (IOException e) {
                last = e;
            }
        }
        throw last;
    }

    private static EtcdServer startOnce(Path binary, Duration timeout) throws IOException {
        int[] ports = freePorts(2);
        Path data = Files.createTempDirectory("gm-etcd-");
        String clientUrl = "http://127.0.0.1:" + ports[0];
        String peerUrl = "http://127.0.0.1:" + ports[1];
        List<String> cmd = new ArrayList<>(List.of(binary.toString(),
                "--name", "gm",
                "--data-dir", data.toString(),
                "--listen-client-urls", clientUrl,
                "--advertise-client-urls", clientUrl,
                "--listen-peer-urls", peerUrl,
                "--initial-advertise-peer-urls", peerUrl,
                "--initial-cluster", "gm=" + peerUrl,
                "--initial-cluster-state", "new",
                "--logger", "zap",
                "--log-outputs", "stderr"));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectInput(ProcessBuilder.Redirect.PIPE).start();
        p.getOutputStream().close();
        StringBuffer log = new StringBuffer();
        CountDownLatch ready = new CountDownLatch(1);
        Thread reader = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    if (log.length() < 1 << 20) {
                        log.append(line).append('\n');
                    }
                    if (READY.stream().anyMatch(line::contains)) {
                        ready.countDown();
                    }
                }
            } catch (IOException e) {
                // the process ended
            }
            ready.countDown(); // exited: start() sees the dead process
        }, "etcd-log");
        reader.setDaemon(true);
        reader.start();
        EtcdServer s = new EtcdServer(p, data, new InetSocketAddress(InetAddress.getLoopbackAddress(), ports[0]), log);
        // a test JVM stopped with SIGTERM must not leave etcd running
        Runtime.getRuntime().addShutdownHook(new Thread(p::destroyForcibly, "etcd-kill"));
        boolean signalled;
        try {
            signalled = ready.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            s.close();
            throw new IOException("interrupted while etcd started");
        }
        if (!signalled || !p.isAlive()) {
            s.close();
            throw new IOException("etcd did not get ready within " + timeout + " (" + String.join(" ", cmd) + "):\n"
                    + tail(log.toString()));
        }
        return s;
    }

    private static int[] freePorts(int n) throws IOException {
        List<ServerSocket> held = new ArrayList<>();
        try {
            int[] out = new int[n];
            for (int i = 0; i < n; i++) {
                ServerSocket ss = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
                held.add(ss);
                out[i] = ss.getLocalPort();
            }
            return out;
        } finally {
            for (ServerSocket ss : held) {
                ss.close();
            }
        }
    }

    /** The client address, {@code 127.0.0.1:PORT}. */
    public InetSocketAddress clientAddress() {
        return client;
    }

    /** {@code host:port} of the client listener, as gridmesh's {@code --store etcd://...} takes it. */
    public String endpoint() {
        return client.getAddress().getHostAddress() + ":" + client.getPort();
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** What etcd logged so far. */
    public String log() {
        return log.toString();
    }

    private static String tail(String s) {
        return s.length() <= 4000 ? s : "..." + s.substring(s.length() - 4000);
    }

    /** Kills etcd (SIGKILL: its data is thrown away anyway) and deletes the data dir. Idempotent. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        process.destroyForcibly();
        try {
            process.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try (Stream<Path> walk = Files.walk(dataDir)) {
            for (Path f : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(f);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("delete " + dataDir, e);
        }
    }
}
