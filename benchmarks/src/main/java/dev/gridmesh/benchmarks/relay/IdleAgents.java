package dev.gridmesh.benchmarks.relay;

import dev.gridmesh.crypto.NodePrivateKey;
import dev.gridmesh.testsupport.relay.RelayTestAgent;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Connects N simulated idle agents to a relay on loopback and reports the relay's heap per connected agent and
 * its CPU while they idle. The relay runs in a child JVM ({@link RelayChild}); each agent is a virtual thread with
 * a blocking TLS socket that registers, then only reads (answering the relay's pings), like a quiet real agent.
 *
 * <pre>
 * java -cp "$(cat benchmarks/target/classpath.txt):benchmarks/target/classes" \
 *     dev.gridmesh.benchmarks.relay.IdleAgents 1000 10000
 * </pre>
 *
 * Bounded: each size gets at most 15 minutes to connect; the idle window is 30 s.
 */
public final class IdleAgents {
    private static final Duration CONNECT_BUDGET = Duration.ofMinutes(15);
    private static final Duration IDLE_WINDOW = Duration.ofSeconds(30);

    private IdleAgents() {}

    public static void main(String[] args) throws Exception {
        List<Integer> sizes = new ArrayList<>();
        for (String a : args) {
            sizes.add(Integer.parseInt(a));
        }
        if (sizes.isEmpty()) {
            sizes = List.of(1000, 10000);
        }
        System.out.println("| agents | connected | connect s | relay heap before MiB | after MiB | heap per agent KiB | relay CPU while idle % |");
        System.out.println("|---|---|---|---|---|---|---|");
        for (int n : sizes) {
            run(n);
        }
    }

    private static void run(int n) throws Exception {
        Path dir = Files.createTempDirectory("gm-idle-relay");
        String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process child = new ProcessBuilder(javaBin, "-Xmx2g", "-XX:+UseG1GC", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
                "-Dlogback.configurationFile=none", "--enable-native-access=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path"), RelayChild.class.getName(), dir.toString())
                .redirectError(ProcessBuilder.Redirect.DISCARD)
                .start();
        BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
        PrintWriter cmd = new PrintWriter(child.getOutputStream(), true, StandardCharsets.UTF_8);
        ConcurrentLinkedQueue<RelayTestAgent> open = new ConcurrentLinkedQueue<>();
        try {
            String[] ready = readLine(out, "READY").split(" ");
            InetSocketAddress relay = new InetSocketAddress(InetAddress.getLoopbackAddress(), Integer.parseInt(ready[1]));
            String pin = ready[2];
            String token = ready[3];
            long heap0 = query(cmd, out, "heap", "HEAP");
            long start = System.nanoTime();
            long deadline = start + CONNECT_BUDGET.toNanos();
            Semaphore handshakes = new Semaphore(32);
            AtomicInteger failed = new AtomicInteger();
            List<Thread> threads = new ArrayList<>(n);
            for (int i = 0; i < n && System.nanoTime() < deadline; i++) {
                handshakes.acquire();
                int id = i;
                threads.add(Thread.ofVirtual().start(() -> {
                    RelayTestAgent a = null;
                    try {
                        a = RelayTestAgent.connect(relay, pin, Duration.ofSeconds(60));
                        a.register(NodePrivateKey.generate(), "idle-" + id, token);
                        a.setReadTimeout(Duration.ZERO);
                        open.add(a);
                    } catch (IOException e) {
                        failed.incrementAndGet();
                    } finally {
                        handshakes.release();
                    }
                    if (a != null) {
                        try {
                            while (true) {
                                a.readControl(); // answers pings, drains peer map updates
                            }
                        } catch (IOException closed) {
                            // relay gone or benchmark over
                        }
                    }
                }));
            }
            long online;
            do {
                online = query(cmd, out, "online", "ONLINE");
            } while (online + failed.get() < threads.size() && System.nanoTime() < deadline);
            double connectSecs = (System.nanoTime() - start) / 1e9;
            long cpu0 = query(cmd, out, "cpu", "CPU");
            long t0 = System.nanoTime();
            Thread.sleep(IDLE_WINDOW); // measurement window, not synchronisation
            long cpu1 = query(cmd, out, "cpu", "CPU");
            double cpuPct = 100.0 * (cpu1 - cpu0) / (System.nanoTime() - t0);
            long heap1 = query(cmd, out, "heap", "HEAP");
            online = query(cmd, out, "online", "ONLINE");
            System.out.printf("| %d | %d | %.1f | %.1f | %.1f | %.1f | %.2f |%n", n, online, connectSecs,
                    heap0 / 1048576.0, heap1 / 1048576.0, online == 0 ? 0 : (heap1 - heap0) / 1024.0 / online, cpuPct);
            System.out.flush();
        } finally {
            for (RelayTestAgent a : open) {
                try {
                    a.close();
                } catch (IOException ignored) {
                    // closing anyway
                }
            }
            cmd.println("quit");
            if (!child.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)) {
                child.destroyForcibly();
            }
        }
    }

    private static long query(PrintWriter cmd, BufferedReader out, String q, String prefix) throws IOException {
        cmd.println(q);
        return Long.parseLong(readLine(out, prefix).substring(prefix.length() + 1).strip());
    }

    private static String readLine(BufferedReader out, String prefix) throws IOException {
        for (String line; (line = out.readLine()) != null; ) {
            if (line.startsWith(prefix)) {
                return line;
            }
        }
        throw new IOException("relay child exited before " + prefix);
    }
}
