package dev.gridmesh.testsupport.natlab;

import static java.util.Objects.requireNonNull;

import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.function.Consumer;

/**
 * A bound UDP socket on a {@link Host}. Received datagrams queue up (bounded) for {@link #receive()}, or go to a
 * handler set with {@link #onReceive}. Sends enter the network at once and arrive after the network's latency.
 */
public final class UdpSocket implements AutoCloseable {
    static final int QUEUE_LIMIT = 4096;

    private final Host host;
    private final InetSocketAddress local;
    private final ArrayDeque<Datagram> queue = new ArrayDeque<>();
    private Consumer<Datagram> handler;
    private boolean closed;

    UdpSocket(Host host, InetSocketAddress local) {
        this.host = host;
        this.local = local;
    }

    public InetSocketAddress localAddress() {
        return local;
    }

    public Host host() {
        return host;
    }

    /** Sends a copy of {@code payload} to {@code destination}. */
    public void send(InetSocketAddress destination, byte[] payload) {
        requireNonNull(destination, "destination");
        if (closed) {
            throw new IllegalStateException("socket " + local + " is closed");
        }
        host.network().send(host, local, destination, payload.clone());
    }

    /** The next queued datagram, or null. */
    public Datagram receive() {
        return queue.poll();
    }

    public int pending() {
        return queue.size();
    }

    /** Delivers future datagrams to {@code h} instead of the queue (null: back to the queue). */
    public void onReceive(Consumer<Datagram> h) {
        this.handler = h;
    }

    boolean deliver(Datagram d) {
        if (handler != null) {
            handler.accept(d);
            return true;
        }
        if (queue.size() >= QUEUE_LIMIT) {
            return false;
        }
        queue.add(d);
        return true;
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            host.unbind(this);
        }
    }

    @Override
    public String toString() {
        return "udp " + host.name() + " " + local;
    }
}
