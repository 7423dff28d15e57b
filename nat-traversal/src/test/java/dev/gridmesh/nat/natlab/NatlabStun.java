package dev.gridmesh.nat.natlab;

import dev.gridmesh.nat.stun.StunClient;
import dev.gridmesh.nat.stun.StunServer;
import dev.gridmesh.testsupport.natlab.Datagram;
import dev.gridmesh.testsupport.natlab.Host;
import dev.gridmesh.testsupport.natlab.Network;
import dev.gridmesh.testsupport.natlab.UdpSocket;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.function.LongConsumer;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/** Glue for running the STUN engines on the in-memory network (kept here: test-support cannot see nat-traversal). */
public final class NatlabStun {
    private NatlabStun() {}

    /** A relay-like STUN server: the sans-I/O engine answering on every given socket. */
    public static StunServer serve(StunServer engine, UdpSocket... sockets) {
        for (UdpSocket s : sockets) {
            s.onReceive(d -> {
                ByteBuffer out = ByteBuffer.allocate(1500);
                if (engine.handle(d.source(), d.destination(), d.buffer(), out).reply()) {
                    s.send(d.source(), Arrays.copyOf(out.array(), out.position()));
                }
            });
        }
        return engine;
    }

    /** A public STUN host on two addresses, answering on port 3478 of both and 3479 of the first. */
    public static List<InetSocketAddress> relayStun(Network net, String addr1, String addr2) {
        Host h = net.addPublicHost("relay", addr1, addr2);
        UdpSocket a = h.bind(3478);
        UdpSocket b = h.bind(3479);
        UdpSocket c = h.bind(h.addresses().get(1), 3478);
        serve(new StunServer("relay", b.localAddress()), a, b, c);
        return List.of(a.localAddress(), b.localAddress(), c.localAddress());
    }

    /**
     * Runs a sans-I/O engine on {@code socket} until {@code done} or {@code limit} of virtual time: sends what it
     * emits, delivers what arrives, fires its timers. Bounded by iterations too.
     */
    public static void drive(Network net, UdpSocket socket, Supplier<StunClient.Transmit> transmits,
            DatagramSink sink, LongSupplier nextTimeout, LongConsumer onTimeout, BooleanSupplier done, Duration limit) {
        long end = net.clock().nanos() + limit.toNanos();
        for (int i = 0; i < 100_000 && !done.getAsBoolean(); i++) {
            for (StunClient.Transmit t; (t = transmits.get()) != null; ) {
                socket.send(t.destination(), t.datagram());
            }
            net.deliverDue();
            for (Datagram d; (d = socket.receive()) != null; ) {
                sink.accept(d.source(), d.buffer(), net.clock().nanos());
            }
            for (StunClient.Transmit t; (t = transmits.get()) != null; ) {
                socket.send(t.destination(), t.datagram());
            }
            if (done.getAsBoolean()) {
                return;
            }
            long next = Math.min(nextTimeout.getAsLong(), net.nextDeliveryNanos());
            if (next == Long.MAX_VALUE || next - end > 0) {
                return;
            }
            net.clock().advanceTo(next);
            if (nextTimeout.getAsLong() - net.clock().nanos() <= 0) {
                onTimeout.accept(net.clock().nanos());
            }
        }
    }

    @FunctionalInterface
    public interface DatagramSink {
        void accept(InetSocketAddress from, ByteBuffer datagram, long nowNanos);
    }
}
