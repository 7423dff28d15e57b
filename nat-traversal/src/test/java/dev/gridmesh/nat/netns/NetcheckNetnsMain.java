package dev.gridmesh.nat.netns;

import dev.gridmesh.nat.classify.NatProbe;
import dev.gridmesh.nat.classify.NatReport;
import dev.gridmesh.nat.stun.StunClient;
import dev.gridmesh.nat.stun.StunClientConfig;
import dev.gridmesh.nat.stun.StunServer;
import dev.gridmesh.nat.stun.StunUdpServer;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * Child JVM for {@link NetcheckNetnsTest}, run inside a lab namespace.
 * {@code serve SECONDS HOST:PORT...}: StunUdpServer on each endpoint, prints LISTENING, exits after SECONDS.
 * {@code netcheck LOCAL_IP SERVER...}: NatProbe from LOCAL_IP:0, prints one REPORT line, exits 0.
 */
public final class NetcheckNetnsMain {
    private NetcheckNetnsMain() {}

    public static void main(String[] args) throws Exception {
        switch (args[0]) {
            case "serve" -> serve(Integer.parseInt(args[1]), endpoints(args, 2));
            case "netcheck" -> netcheck(args[1], endpoints(args, 2));
            default -> throw new IllegalArgumentException("usage: serve SECONDS EP... | netcheck LOCAL_IP EP...");
        }
    }

    private static List<InetSocketAddress> endpoints(String[] args, int from) {
        List<InetSocketAddress> eps = new ArrayList<>();
        for (int i = from; i < args.length; i++) {
            int c = args[i].lastIndexOf(':');
            eps.add(new InetSocketAddress(args[i].substring(0, c), Integer.parseInt(args[i].substring(c + 1))));
        }
        return eps;
    }

    private static void serve(int seconds, List<InetSocketAddress> eps) throws Exception {
        StunServer engine = new StunServer("gridmesh netns", null);
        try (StunUdpServer udp = StunUdpServer.bind(engine, eps.toArray(InetSocketAddress[]::new))) {
            System.out.println("LISTENING " + udp.localAddresses());
            System.out.flush();
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
            while (System.nanoTime() - end < 0) {
                Thread.sleep(200); // a daemon's main thread idling; not test synchronisation
            }
            System.out.println("SERVED " + engine.successes() + " " + engine.dropCounts());
        }
    }

    private static void netcheck(String localIp, List<InetSocketAddress> servers) throws Exception {
        try (DatagramChannel ch = DatagramChannel.open(); Selector sel = Selector.open()) {
            ch.bind(new InetSocketAddress(localIp, 0)).configureBlocking(false).register(sel, SelectionKey.OP_READ);
            NatProbe probe = new NatProbe(new StunClient(StunClientConfig.interactive(), new SecureRandom()), servers,
                    Set.of((InetSocketAddress) ch.getLocalAddress()));
            probe.start(System.nanoTime());
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            ByteBuffer buf = ByteBuffer.allocate(2048);
            while (!probe.isDone() && System.nanoTime() - deadline < 0) {
                for (StunClient.Transmit t; (t = probe.pollTransmit()) != null; ) {
                    ch.send(ByteBuffer.wrap(t.datagram()), t.destination());
                }
                long waitMs = Math.max(1, Math.min(1000, TimeUnit.NANOSECONDS.toMillis(probe.pollTimeout() - System.nanoTime())));
                sel.select(waitMs);
                sel.selectedKeys().clear();
                for (InetSocketAddress from; (from = (InetSocketAddress) ch.receive(buf.clear())) != null; ) {
                    probe.handleDatagram(from, buf.flip(), System.nanoTime());
                }
                if (probe.pollTimeout() - System.nanoTime() <= 0) {
                    probe.handleTimeout(System.nanoTime());
                }
            }
            NatReport r = probe.report();
            System.out.println("REPORT udp=" + r.udp() + " mapping=" + r.mapping() + " across=" + r.acrossAddresses()
                    + " local=" + ch.getLocalAddress() + " endpoints=" + r.publicEndpoints());
        }
    }
}
