package dev.gridmesh.agent.tun;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * An in-memory TUN device. {@link #inject} plays the kernel sending a packet into the tunnel (the agent reads it);
 * {@link #awaitWritten} returns what the agent wrote (packets the kernel would receive). Thread-safe.
 */
public final class FakeTun implements TunDevice {
    private static final byte[] CLOSED = new byte[0];

    private final String name;
    private final LinkedBlockingQueue<byte[]> toAgent = new LinkedBlockingQueue<>();
    private final LinkedBlockingQueue<byte[]> fromAgent = new LinkedBlockingQueue<>();
    private volatile boolean closed;

    public FakeTun(String name) {
        this.name = name;
    }

    @Override
    public String name() {
        return name;
    }

    /** A packet "from the kernel": the agent's next read returns it. */
    public void inject(byte[] ipPacket) {
        toAgent.add(ipPacket.clone());
    }

    /** The next packet the agent wrote, or null after {@code timeout}. */
    public byte[] awaitWritten(Duration timeout) throws InterruptedException {
        return fromAgent.poll(timeout.toNanos(), TimeUnit.NANOSECONDS);
    }

    /** Everything written so far, without waiting. */
    public List<byte[]> drainWritten() {
        List<byte[]> out = new ArrayList<>();
        fromAgent.drainTo(out);
        return out;
    }

    public boolean isClosed() {
        return closed;
    }

    @Override
    public int read(PacketBatch batch) throws java.io.IOException {
        if (closed) {
            batch.setCount(0);
            return -1;
        }
        byte[] first;
        try {
            first = toAgent.take();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("interrupted");
        }
        int n = 0;
        byte[] p = first;
        while (p != null) {
            if (p == CLOSED) {
                toAgent.add(CLOSED); // keep later reads returning -1
                if (n == 0) {
                    batch.setCount(0);
                    return -1;
                }
                break;
            }
            ByteBuffer b = batch.get(n);
            b.clear();
            int len = Math.min(p.length, b.capacity());
            b.put(p, 0, len).flip();
            n++;
            if (n == batch.capacity()) {
                break;
            }
            p = toAgent.poll();
        }
        batch.setCount(n);
        return n;
    }

    @Override
    public boolean write(ByteBuffer packet) throws java.io.IOException {
        if (closed) {
            throw new java.nio.channels.ClosedChannelException();
        }
        byte[] copy = new byte[packet.remaining()];
        packet.duplicate().get(copy);
        fromAgent.add(copy);
        return true;
    }

    @Override
    public void close() {
        closed = true;
        toAgent.add(CLOSED);
    }
}
