package dev.gridmesh.protocol.wg;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * The threading the contract allows, under stress: per engine one encapsulating thread, one decapsulating thread and
 * a ticking thread, with rekeys every few hundred packets. Nothing throws, nothing fails to decrypt (no nonce or key
 * confusion), and traffic keeps flowing through the rekeys. Bounded in packets and wall time.
 */
class WgEngineConcurrencyTest {
    @Test
    void encapsulateDecapsulateAndTickOnSeparateThreads() throws InterruptedException {
        WgTimers s = WgTimers.standard();
        WgTimers timers = new WgTimers(300, Long.MAX_VALUE, Duration.ofSeconds(2), s.rejectAfterTime(),
                s.rekeyAttemptTime(), s.rekeyTimeout(), s.keepaliveTimeout(), s.cookieRefreshTime());
        EnginePair pair = new EnginePair(timers).establish();
        AtomicLong now = new AtomicLong(pair.now);
        ConcurrentLinkedQueue<byte[]> toA = new ConcurrentLinkedQueue<>();
        ConcurrentLinkedQueue<byte[]> toB = new ConcurrentLinkedQueue<>();
        AtomicBoolean stop = new AtomicBoolean();
        List<Throwable> errors = new CopyOnWriteArrayList<>();
        AtomicLong deliveredToA = new AtomicLong();
        AtomicLong deliveredToB = new AtomicLong();
        AtomicLong sentByA = new AtomicLong();
        AtomicLong sentByB = new AtomicLong();
        AtomicLong handshakes = new AtomicLong();
        int perSender = 40_000;
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();

        List<Thread> threads = new ArrayList<>();
        for (boolean aSide : new boolean[] {true, false}) {
            WgEngine self = aSide ? pair.a.engine : pair.b.engine;
            ConcurrentLinkedQueue<byte[]> out = aSide ? toB : toA;
            ConcurrentLinkedQueue<byte[]> in = aSide ? toA : toB;
            InetSocketAddress peerAddr = aSide ? pair.b.address : pair.a.address;
            byte[] packet = aSide ? pair.aToB(200) : pair.bToA(200);
            AtomicLong sent = aSide ? sentByA : sentByB;
            AtomicLong delivered = aSide ? deliveredToA : deliveredToB;
            threads.add(Thread.ofPlatform().name("enc-" + (aSide ? "a" : "b")).unstarted(() -> {
                PacketResult r = new PacketResult();
                ByteBuffer dst = ByteBuffer.allocate(2048);
                try {
                    // at least perSender packets, and on until a few rekeys happened: on a loaded machine the ticker's
                    // virtual clock advances slowly, and rekeys are paced by it (one initiation per REKEY_TIMEOUT)
                    for (int i = 0; (i < perSender || handshakes.get() <= 3) && !stop.get()
                            && System.nanoTime() < deadline; i++) {
                        dst.clear();
                        if (self.encapsulate(ByteBuffer.wrap(packet), dst, now.get(), r) == Action.SEND) {
                            out.add(EnginePair.copy(dst));
                        }
                        sent.incrementAndGet();
                        if (out.size() > 200) { // bounded in-flight: wireguard-go, too, drops in-flight packets of a replaced session
                            Thread.onSpinWait();
                            Thread.yield();
                        }
                    }
                } catch (Throwable t) {
                    errors.add(t);
                }
            }));
            threads.add(Thread.ofPlatform().name("dec-" + (aSide ? "a" : "b")).unstarted(() -> {
                PacketResult r = new PacketResult();
                ByteBuffer dst = ByteBuffer.allocate(2048);
                try {
                    while (!stop.get() && System.nanoTime() < deadline) {
                        byte[] d = in.poll();
                        if (d == null) {
                            Thread.yield();
                            continue;
                        }
                        if (d[0] == WgMessage.TYPE_RESPONSE) {
                            handshakes.incrementAndGet();
                        }
                        dst.clear();
                        Action act = self.decapsulate(peerAddr, ByteBuffer.wrap(d), dst, now.get(), r);
                        if (act == Action.WRITE_TUN) {
                            delivered.incrementAndGet();
                        } else if (act == Action.SEND) {
                            out.add(EnginePair.copy(dst));
                        }
                        Transmit t;
                        while ((t = self.pollTransmit()) != null) {
                            out.add(t.datagram());
                        }
                    }
                } catch (Throwable t) {
                    errors.add(t);
                }
            }));
        }
        Thread ticker = Thread.ofPlatform().name("tick").unstarted(() -> {
            try {
                while (!stop.get() && System.nanoTime() < deadline) {
                    long t = now.addAndGet(5_000_000L);
                    pair.now = t; // the engines' wall clock (TAI64N timestamps must advance)
                    pair.a.engine.tick(t);
                    pair.b.engine.tick(t);
                    Transmit x;
                    while ((x = pair.a.engine.pollTransmit()) != null) {
                        toB.add(x.datagram());
                    }
                    while ((x = pair.b.engine.pollTransmit()) != null) {
                        toA.add(x.datagram());
                    }
                    Thread.sleep(0, 200_000); // paces virtual time against the worker threads, not a synchronisation
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (Throwable t) {
                errors.add(t);
            }
        });
        threads.forEach(Thread::start);
        ticker.start();
        threads.get(0).join();
        threads.get(2).join();
        // let the receivers drain
        long drainUntil = System.nanoTime() + Duration.ofSeconds(3).toNanos();
        while ((!toA.isEmpty() || !toB.isEmpty()) && System.nanoTime() < drainUntil) {
            Thread.sleep(10);
        }
        stop.set(true);
        for (Thread t : threads) {
            t.join();
        }
        ticker.join();

        assertThat(errors).isEmpty();
        assertThat(handshakes.get()).as("rekeys under way").isGreaterThan(3);
        Map<DropReason, Long> dropsA = pair.a.engine.dropCounts();
        Map<DropReason, Long> dropsB = pair.b.engine.dropCounts();
        Set<DropReason> tolerated = Set.of(DropReason.STAGED_QUEUE_FULL, DropReason.UNKNOWN_INDEX,
                DropReason.RATE_LIMITED, DropReason.REPLAYED_INITIATION, DropReason.HANDSHAKE_FAILED);
        assertThat(dropsA.keySet()).as("drops at a: %s", dropsA).isSubsetOf(tolerated);
        assertThat(dropsB.keySet()).as("drops at b: %s", dropsB).isSubsetOf(tolerated);
        assertThat(pair.count("a", WgMessage.TYPE_INITIATION)).isEqualTo(1); // the pair's log saw only establish()
        assertThat(deliveredToB.get()).as("a->b of %d", sentByA.get()).isGreaterThan(sentByA.get() * 9 / 10);
        assertThat(deliveredToA.get()).as("b->a of %d", sentByB.get()).isGreaterThan(sentByB.get() * 9 / 10);
    }
}
