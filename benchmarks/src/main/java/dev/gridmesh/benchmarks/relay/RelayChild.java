package dev.gridmesh.benchmarks.relay;

import dev.gridmesh.relay.server.RelayConfig;
import dev.gridmesh.relay.server.RelayServer;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Set;

/**
 * The relay under test, run by {@link IdleAgents} in its own JVM so that the agents' memory does not count.
 * Prints {@code READY <port> <pin> <token>}, then answers stdin lines: {@code heap} (GC, then used heap bytes),
 * {@code online}, {@code cpu} (process CPU nanoseconds), {@code fanout} (the hub's peer-map fan-out counters),
 * {@code quit}.
 */
public final class RelayChild {
    private RelayChild() {}

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        RelayConfig cfg = RelayConfig.defaults(dir).withListen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), null);
        try (RelayServer r = RelayServer.start(cfg, Clock.systemUTC())) {
            String token = r.admin().createToken(true, null, Set.of()).token();
            System.out.println("READY " + r.tcpAddress().getPort() + " " + r.pin() + " " + token);
            System.out.flush();
            BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            MemoryMXBean mem = ManagementFactory.getMemoryMXBean();
            for (String line; (line = in.readLine()) != null; ) {
                switch (line.strip()) {
                    case "heap" -> {
                        for (int i = 0; i < 3; i++) {
                            System.gc();
                        }
                        System.out.println("HEAP " + mem.getHeapMemoryUsage().getUsed());
                    }
                    case "online" -> System.out.println("ONLINE " + r.hub().onlineCount());
                    case "fanout" -> System.out.println("FANOUT " + fanout(r));
                    case "cpu" -> System.out.println("CPU " + ((com.sun.management.OperatingSystemMXBean)
                            ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime());
                    case "quit" -> {
                        return;
                    }
                    default -> System.out.println("ERR unknown command " + line);
                }
                System.out.flush();
            }
        }
    }

    /** The hub's fan-out counters; "- - - -" when run against a relay build from before they existed (comparisons). */
    private static String fanout(RelayServer r) {
        try {
            long[] c = r.hub().fanoutCounts();
            return c[0] + " " + c[1] + " " + c[2] + " " + c[3];
        } catch (NoSuchMethodError older) {
            return "- - - -";
        }
    }
}
