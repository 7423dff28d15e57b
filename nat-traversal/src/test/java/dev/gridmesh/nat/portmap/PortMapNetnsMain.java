package dev.gridmesh.nat.portmap;

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.EnumSet;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;

/**
 * Child JVM run by {@link PortMapMiniupnpdNetnsTest} inside the LAN host's namespace: the agent's side of a port
 * mapping, driven by UDP datagrams that arrive from the WAN through the mapping itself.
 *
 * <pre>
 * args: map PROTOCOL   binds a UDP socket on port 0, maps it, prints
 *                      "MAPPED proto ip port lifetime localPort", then for each datagram received prints
 *                      "RECEIVED text" and obeys it: "renew" -> renewNow, prints "RENEWED ip port";
 *                      "close" -> close(), prints "CLOSED counters", exits 0. Gives up after 120 s.
 *       probe          prints "PROBE protocols externalAddress notes" and exits.
 * </pre>
 * The gateway comes from the namespace's default route (/proc/net/route), as in the agent.
 */
public final class PortMapNetnsMain {
    private PortMapNetnsMain() {}

    public static void main(String[] args) throws Exception {
        InetAddress gateway = DefaultGateway.find().orElseThrow(() -> new IllegalStateException("no default route"));
        ScheduledExecutorService exec = Executors.newSingleThreadScheduledExecutor();
        try {
            if (args[0].equals("probe")) {
                try (PortMapper m = new PortMapper(gateway, PortMapperOptions.defaults(), System::nanoTime,
                        PortMapScheduler.of(exec))) {
                    PortMapProbe p = m.probe();
                    System.out.println("PROBE " + p.available() + " " + p.externalAddress().map(InetAddress::getHostAddress)
                            .orElse("-") + " " + p.notes());
                }
                return;
            }
            PortMapProtocol proto = PortMapProtocol.valueOf(args[1]);
            PortMapperOptions opts = PortMapperOptions.defaults().withProtocols(EnumSet.of(proto));
            try (DatagramSocket sock = new DatagramSocket(0)) {
                int localPort = sock.getLocalPort();
                PortMapper m = new PortMapper(gateway, opts, System::nanoTime, PortMapScheduler.of(exec));
                Optional<MappedEndpoint> ep = m.start(localPort);
                if (ep.isEmpty()) {
                    System.out.println("FAILED " + m.dropCounts());
                    m.close();
                    System.exit(3);
                }
                MappedEndpoint e = ep.get();
                System.out.println("MAPPED " + e.protocol() + " " + e.external().getAddress().getHostAddress() + " "
                        + e.external().getPort() + " " + e.lifetimeSeconds() + " " + localPort);
                long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
                sock.setSoTimeout(1000);
                DatagramPacket pkt = new DatagramPacket(new byte[1500], 1500);
                while (System.nanoTime() - deadline < 0) {
                    try {
                        sock.receive(pkt);
                    } catch (SocketTimeoutException timeout) {
                        continue;
                    }
                    String text = new String(pkt.getData(), 0, pkt.getLength(), StandardCharsets.UTF_8).strip();
                    System.out.println("RECEIVED " + text + " from " + pkt.getSocketAddress());
                    if (text.equals("renew")) {
                        Optional<MappedEndpoint> r = m.renewNow();
                        System.out.println(r.map(x -> "RENEWED " + x.external().getAddress().getHostAddress() + " "
                                + x.external().getPort()).orElse("RENEW_FAILED " + m.dropCounts()));
                    } else if (text.equals("close")) {
                        m.close();
                        System.out.println("CLOSED " + m.dropCounts());
                        return;
                    }
                }
                m.close();
                System.out.println("GAVE_UP");
                System.exit(4);
            }
        } finally {
            exec.shutdownNow();
        }
    }
}
