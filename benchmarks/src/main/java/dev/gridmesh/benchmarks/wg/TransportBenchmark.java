package dev.gridmesh.benchmarks.wg;

import dev.gridmesh.protocol.wg.Action;
import dev.gridmesh.protocol.wg.WgEngine;
import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Seal ({@link WgEngine#encapsulate}) and open ({@link WgEngine#decapsulate}) of one WireGuard transport packet
 * through the engine's public API, one thread (= per core), packets/s.
 *
 * <p>{@code open} needs fresh counters (the replay window rejects a packet seen before), so each invocation opens a
 * batch of {@value #BATCH} packets that a per-invocation setup sealed beforehand, outside the measured time;
 * the score is per packet ({@link OperationsPerInvocation}). A batch takes milliseconds, far above the cost of
 * JMH's per-invocation bookkeeping.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class TransportBenchmark {
    static final int BATCH = 2048;

    /** IP packet size: 1420 = a full packet at the default MTU; 64 = a small one (ACK, keepalive-sized). */
    @Param({"64", "1420"})
    public int size;

    private EstablishedPair pair;
    private ByteBuffer ip;
    private ByteBuffer sealed;
    private ByteBuffer[] batch;
    private ByteBuffer opened;

    @Setup(Level.Trial)
    public void setUp() {
        pair = new EstablishedPair();
        ip = EstablishedPair.ipv4Packet(size, "100.64.0.1", "100.64.0.2");
        sealed = ByteBuffer.allocateDirect(size + WgEngine.MAX_OVERHEAD + 16);
        opened = ByteBuffer.allocateDirect(size + 16);
        batch = new ByteBuffer[BATCH];
        for (int i = 0; i < BATCH; i++) {
            batch[i] = ByteBuffer.allocateDirect(size + WgEngine.MAX_OVERHEAD + 16);
        }
    }

    /** Seals the next batch for {@link #open} (not measured). */
    @Setup(Level.Invocation)
    public void sealBatch() {
        for (ByteBuffer b : batch) {
            b.clear();
            ip.rewind();
            if (pair.a.encapsulate(ip, b, EstablishedPair.NOW, pair.resultA) != Action.SEND) {
                throw new IllegalStateException("seal failed: " + pair.resultA.dropReason);
            } // the engine leaves b flipped, ready to read
        }
    }

    @Benchmark
    public Action seal() {
        ip.rewind();
        sealed.clear();
        return pair.a.encapsulate(ip, sealed, EstablishedPair.NOW, pair.resultA);
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public int open() {
        int ok = 0;
        for (ByteBuffer b : batch) {
            opened.clear();
            if (pair.b.decapsulate(EstablishedPair.ADDR_A, b, opened, EstablishedPair.NOW, pair.resultB)
                    == Action.WRITE_TUN) {
                ok++;
            }
        }
        if (ok != BATCH) {
            throw new IllegalStateException("opened " + ok + " of " + BATCH + ": " + pair.resultB.dropReason);
        }
        return ok;
    }
}
