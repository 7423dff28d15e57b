package dev.gridmesh.nat.portmap;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.time.Duration;
import java.util.function.LongSupplier;

/**
 * The I/O edge of {@link GatewayUdpEngine}: one ephemeral UDP socket connected to the gateway's PCP/NAT-PMP port,
 * driven until the engine reports an outcome or a time bound passes.
 */
final class GatewayUdp implements AutoCloseable {
    private final DatagramChannel channel;
    private final Selector selector;
    private final InetSocketAddress server;
    private final ByteBuffer buf = ByteBuffer.allocate(PcpCodec.MAX_LENGTH + 4);

    GatewayUdp(InetSocketAddress server) throws IOException {
        this.server = server;
        DatagramChannel ch = DatagramChannel.open();
        Selector sel = null;
        try {
            ch.connect(server);
            ch.configureBlocking(false);
            sel = Selector.open();
            ch.register(sel, SelectionKey.OP_READ);
        } catch (IOException | RuntimeException e) {
            ch.close();
            if (sel != null) {
                sel.close();
            }
            throw e;
        }
        this.channel = ch;
        this.selector = sel;
    }

    /** This host's address on the path to the gateway (what PCP calls the client address). */
    InetAddress localAddress() throws IOException {
        return ((InetSocketAddress) channel.getLocalAddress()).getAddress();
    }

    /**
     * Runs {@code engine} (whose request was just started) until it emits an event other than
     * {@link GatewayEvent.StateLost}, or {@code limit} passes. {@code stateLost[0]} is set when a StateLost was seen.
     * Returns null on the time bound (the engine's own retransmission limit normally ends it first).
     */
    GatewayEvent run(GatewayUdpEngine engine, LongSupplier clock, Duration limit, boolean[] stateLost)
            throws IOException {
        long deadline = clock.getAsLong() + limit.toNanos();
        while (clock.getAsLong() - deadline < 0) {
            for (byte[] d; (d = engine.pollTransmit()) != null; ) {
                try {
                    channel.write(ByteBuffer.wrap(d));
                } catch (IOException e) {
                    // ICMP unreachable from an earlier send, or no route: the retransmission timer decides
                }
            }
            for (GatewayEvent e; (e = engine.pollEvent()) != null; ) {
                if (e instanceof GatewayEvent.StateLost) {
                    stateLost[0] = true;
                } else {
                    return e;
                }
            }
            long now = clock.getAsLong();
            long until = Math.min(engine.pollTimeout(), deadline);
            long waitMs = Math.max(1, Math.min(1000, (until - now) / 1_000_000L));
            selector.select(waitMs);
            selector.selectedKeys().clear();
            while (true) {
                InetSocketAddress from;
                try {
                    from = (InetSocketAddress) channel.receive(buf.clear());
                } catch (IOException e) {
                    break; // ICMP port unreachable: nothing listens; let the retransmission timer give up
                }
                if (from == null) {
                    break;
                }
                engine.handleDatagram(from, buf.flip(), clock.getAsLong());
            }
            if (engine.pollTimeout() - clock.getAsLong() <= 0) {
                engine.handleTimeout(clock.getAsLong());
            }
        }
        return null;
    }

    InetSocketAddress server() {
        return server;
    }

    @Override
    public void close() {
        try {
            selector.close();
        } catch (IOException ignored) {
            // closing; nothing to do
        }
        try {
            channel.close();
        } catch (IOException ignored) {
            // closing; nothing to do
        }
    }
}
