package dev.gridmesh.nat.portmap;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.EnumSet;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;

/**
 * Child JVM run by {@link PortMapMiniupnpdNetnsTest} inside the LAN host's namespace: the agent's side of a port
 * mapping, driven by datagrams.
 *
 * <pre>
 * args: map PROTOCOL   binds the "agent" UDP socket on port 0 and maps it, prints
 *                      "MAPPED proto ip port lifetime localPort"; binds a control socket on port 0 and prints
 *                      "CONTROL port". For each datagram on either socket prints "RECEIVED text from addr" and
 *                      obeys it: "renew" -> renewNow(), prints "RENEWED ip port" (or RENEW_FAILED);
 *                      "close" -> close(), prints "CLOSED counters" and exits 0. Gives up after 120 s (exit 4).
 *       probe          prints "PROBE [protocols] externalAddress {notes}" and exits.
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
                    System.out.println("PROBE " + p.available() + " " + p.externalAddress()
                            .map(InetAddress::getHostAddress).orElse("-") + " " + p.notes());
                }
                return;
            }
            PortMapProtocol proto = PortMapProtocol.valueOf(args[1]);
            PortMapperOptions opts = PortMapperOptions.defaults().withProtocols(EnumSet.of(proto));
            try (DatagramChannel agent = DatagramChannel.open(); DatagramChannel control = DatagramChannel.open();
                    Selector sel = Selector.open()) {
                agent.bind(new InetSocketAddress(0));
                control.bind(new InetSocketAddress(0));
                int localPort = ((InetSocketAddress) agent.getLocalAddress()).getPort();
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
                System.out.println("CONTROL " + ((InetSocketAddress) control.getLocalAddress()).getPort());
                agent.configureBlocking(false);
                control.configureBlocking(false);
                agent.register(sel, SelectionKey.OP_READ);
                control.register(sel, SelectionKey.OP_READ);
                long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
                ByteBuffer buf = ByteBuffer.allocate(1500);
                while (System.nanoTime() - deadline < 0) {
                    sel.select(1000);
                    sel.selectedKeys().clear();
                    for (DatagramChannel ch : new DatagramChannel[] {agent, control}) {
                        for (var from = ch.receive(buf.clear()); from != null; from = ch.receive(buf.clear())) {
                            String text = new String(buf.array(), 0, buf.position(), StandardCharsets.UTF_8).strip();
                            System.out.println("RECEIVED " + text + " from " + from);
                            if (text.equals("renew")) {
                                Optional<MappedEndpoint> r = m.renewNow();
                                System.out.println(r.map(x -> "RENEWED " + x.external().getAddress().getHostAddress()
                                        + " " + x.external().getPort() + " " + m.dropCounts())
                                        .orElse("RENEW_FAILED " + m.dropCounts()));
                            } else if (text.equals("close")) {
                                m.close();
                                System.out.println("CLOSED " + m.dropCounts());
                                return;
                            }
                        }
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
