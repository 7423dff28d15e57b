package dev.gridmesh.cli.wgquick;

import dev.gridmesh.agent.tun.PacketBatch;
import dev.gridmesh.agent.tun.TunDevice;
import java.nio.ByteBuffer;
import java.util.concurrent.CountDownLatch;

/** A TUN device that never has packets to read and accepts every write; closing unblocks the reader. */
public final class FakeTun implements TunDevice {
    private final String name;
    private final CountDownLatch closed = new CountDownLatch(1);

    public FakeTun(String name) {
        this.name = name;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public int read(PacketBatch batch) throws java.io.IOException {
        try {
            closed.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException();
        }
        return -1;
    }

    @Override
    public boolean write(ByteBuffer packet) {
        packet.position(packet.limit());
        return true;
    }

    @Override
    public void close() {
        closed.countDown();
    }
}
