package dev.gridmesh.benchmarks.relay;

import dev.gridmesh.crypto.NodePrivateKey;
import dev.gridmesh.protocol.relay.ControlMessage;
import dev.gridmesh.protocol.relay.FrameType;
import dev.gridmesh.testsupport.relay.RelayTestAgent;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;

/**
 * Connects N simulated idle agents to a relay on loopback and reports the relay's heap per connected agent and
 * its CPU while they idle. The relay runs in a child JVM ({@link RelayChild}); each agent is a virtual thread with
 * a blocking TLS socket that registers, then only reads (answering the relay's pings), like a quiet real agent.
 * At most 32 agents are in their TLS handshake and registration at once. An agent does not decode the peers it is
 * sent, only counts them (PeerMap counts from FIRST on, PeerAdded +1, PeerRemoved -1), so the generator spends its
 * CPU on TLS and not on parsing; at the end the report says how many agents know every other node ("full view").
 * Also reported: the relay's CPU seconds while the agents joined, and its fan-out counters (full maps, of which
 * because a connection fell behind, delta writes, deltas: deltas / writes is the batching factor).
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
        System.out.println("| agents | connected | connect s | relay heap before MiB | after MiB | heap per agent KiB"
                + " | relay CPU while idle % | relay CPU s for the join | generator CPU s for the join | full view"
                + " | full maps (behind) | delta writes | deltas |");
        System.out.println("|---|---|---|---|---|---|---|---|---|---|---|---|---|");
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
            long cpuJoin0 = query(cmd, out, "cpu", "CPU");
            long ownCpu0 = ownCpuNanos();
            AtomicIntegerArray known = new AtomicIntegerArray(n);
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
                                drain(a, known, id); // answers pings, counts peer map updates
                            }
                        } catch (IOException closed) {
                            // relay gone or benchmark over
                        }
                    }
                }));
            }
            long online;
            while ((online = query(cmd, out, "online", "ONLINE")) + failed.get() < threads.size() && System.nanoTime() < deadline) {
                Thread.sleep(100); // polling the child, not synchronisation: a busy loop here took CPU from the relay
            }
            double connectSecs = (System.nanoTime() - start) / 1e9;
            long cpu0 = query(cmd, out, "cpu", "CPU");
            double joinCpuSecs = (cpu0 - cpuJoin0) / 1e9;
            double ownJoinCpuSecs = (ownCpuNanos() - ownCpu0) / 1e9;
            long t0 = System.nanoTime();
            Thread.sleep(IDLE_WINDOW); // measurement window, not synchronisation
            long cpu1 = query(cmd, out, "cpu", "CPU");
            double cpuPct = 100.0 * (cpu1 - cpu0) / (System.nanoTime() - t0);
            long heap1 = query(cmd, out, "heap", "HEAP");
            online = query(cmd, out, "online", "ONLINE");
            int registered = open.size();
            int fullView = 0;
            for (int i = 0; i < n; i++) {
                fullView += known.get(i) == registered - 1 ? 1 : 0;
            }
            String[] fan = queryWords(cmd, out, "fanout", "FANOUT");
            System.out.printf("| %d | %d | %.1f | %.1f | %.1f | %.1f | %.2f | %.1f | %.1f | %d | %s (%s) | %s | %s |%n", n, online,
                    connectSecs, heap0 / 1048576.0, heap1 / 1048576.0, online == 0 ? 0 : (heap1 - heap0) / 1024.0 / online,
                    cpuPct, joinCpuSecs, ownJoinCpuSecs, fullView, fan[0], fan[1], fan[2], fan[3]);
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

    private static long ownCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime();
    }

    private static String[] queryWords(PrintWriter cmd, BufferedReader out, String q, String prefix) throws IOException {
        cmd.println(q);
        return readLine(out, prefix).substring(prefix.length() + 1).strip().split(" ");
    }

    /**
     * Reads one frame: answers a Ping, counts peers (see the class doc), skips the rest without decoding it.
     * Message type bytes and the PeerMap header as in docs/relay-protocol.md.
     */
    private static void drain(RelayTestAgent a, AtomicIntegerArray known, int id) throws IOException {
        RelayTestAgent.Frame f = a.readFrame();
        byte[] p = f.payload();
        if (f.header().type() != FrameType.CONTROL || p.length == 0) {
            return;
        }
        switch (p[0]) {
            case 0x08 -> a.send(new ControlMessage.Pong(ByteBuffer.wrap(p, 1, 8).getLong()));
            case 0x04 -> {
                int count = ((p[2] & 0xff) << 8) | (p[3] & 0xff);
                known.lazySet(id, (p[1] & 1) != 0 ? count : known.get(id) + count);
            }
            case 0x05 -> known.lazySet(id, known.get(id) + 1);
            case 0x06 -> known.lazySet(id, known.get(id) - 1);
            default -> { }
        }
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
