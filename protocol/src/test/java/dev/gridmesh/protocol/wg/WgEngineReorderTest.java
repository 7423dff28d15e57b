package dev.gridmesh.protocol.wg;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/** Transport counters end to end: strictly increasing on send, each accepted once whatever the network does. */
class WgEngineReorderTest {
    @Property(tries = 50)
    void reorderedAndDuplicatedPacketsAreDeliveredExactlyOnce(@ForAll("orders") List<Integer> order) {
        EnginePair pair = new EnginePair(WgTimers.standard()).establish();
        pair.lose = s -> true;
        int n = 300;
        List<byte[]> sealed = new ArrayList<>();
        long last = -1;
        for (int i = 0; i < n; i++) {
            pair.a.send(pair.aToB(i % 50));
            byte[] d = pair.log.get(pair.log.size() - 1).datagram();
            WgMessage.Transport t = (WgMessage.Transport) WgMessage.parse(d);
            assertThat(t.counter()).isGreaterThan(last);
            last = t.counter();
            sealed.add(d);
        }
        PacketResult r = new PacketResult();
        Set<Integer> delivered = new HashSet<>();
        for (int idx : order) {
            int i = idx % n;
            Action a = pair.b.engine.decapsulate(pair.a.address, ByteBuffer.wrap(sealed.get(i)),
                    ByteBuffer.allocate(2048), pair.now, r);
            if (delivered.add(i)) {
                assertThat(a).as("first delivery of %d", i).isEqualTo(Action.WRITE_TUN);
            } else {
                assertThat(a).isEqualTo(Action.DROP);
                assertThat(r.dropReason).isEqualTo(DropReason.REPLAYED);
            }
        }
    }

    @Provide
    Arbitrary<List<Integer>> orders() {
        return Arbitraries.integers().between(0, 299).list().ofMinSize(1).ofMaxSize(600);
    }
}
