package dev.gridmesh.agent.dataplane;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Relayed datagrams handed from the relay thread to the event loop in chunks: order, bound, chunk boundaries. */
class RelayedInboxTest {
    static final PooledByteBufAllocator ALLOC = PooledByteBufAllocator.DEFAULT;

    static ByteBuffer datagram(int size, int tag) {
        byte[] d = new byte[size];
        d[0] = (byte) tag;
        d[size - 1] = (byte) (tag >> 8);
        return ByteBuffer.wrap(d);
    }

    static List<byte[]> drainAll(RelayedInbox in) {
        List<byte[]> got = new ArrayList<>();
        in.drain(b -> {
            byte[] d = new byte[b.readableBytes()];
            b.getBytes(b.readerIndex(), d);
            got.add(d);
        });
        return got;
    }

    @Test
    void aBurstSpanningSeveralChunksComesOutWholeAndInOrder() {
        RelayedInbox in = new RelayedInbox(4096);
        int n = 300; // 300 x 1,424 bytes: the chunk grows from 4 KiB to 64 KiB and several fill up
        for (int i = 0; i < n; i++) {
            assertThat(in.add(ALLOC, datagram(1420, i))).isTrue();
        }
        List<byte[]> got = drainAll(in);
        assertThat(got).hasSize(n);
        for (int i = 0; i < n; i++) {
            assertThat(got.get(i)).hasSize(1420);
            assertThat(got.get(i)[0]).isEqualTo((byte) i);
            assertThat(got.get(i)[1419]).isEqualTo((byte) (i >> 8));
        }
        assertThat(drainAll(in)).as("nothing left").isEmpty();

        // mixed sizes, including empty datagrams, after a drain
        for (int i = 0; i < 10; i++) {
            in.add(ALLOC, ByteBuffer.wrap(new byte[i * 7]));
        }
        got = drainAll(in);
        assertThat(got).extracting(d -> d.length).containsExactly(0, 7, 14, 21, 28, 35, 42, 49, 56, 63);
    }

    @Test
    void atMostCapacityDatagramsWaitAndClearFreesThem() {
        RelayedInbox in = new RelayedInbox(3);
        for (int i = 0; i < 3; i++) {
            assertThat(in.add(ALLOC, datagram(100, i))).isTrue();
        }
        assertThat(in.add(ALLOC, datagram(100, 9))).as("bounded: the caller counts the drop").isFalse();
        assertThat(drainAll(in)).hasSize(3);
        assertThat(in.add(ALLOC, datagram(100, 4))).as("room again after a drain").isTrue();
        assertThat(in.clear()).isEqualTo(1);
        assertThat(drainAll(in)).isEmpty();
    }

    @Test
    void theDatagramPassedOnIsTheRecordOnlyAndTheSourceIsNotConsumed() {
        RelayedInbox in = new RelayedInbox(16);
        ByteBuffer src = ByteBuffer.wrap(new byte[] {1, 2, 3, 4, 5});
        src.position(1).limit(4);
        in.add(ALLOC, src);
        assertThat(src.position()).isEqualTo(1);
        List<ByteBuf> seen = new ArrayList<>();
        List<byte[]> got = new ArrayList<>();
        in.drain(b -> {
            byte[] d = new byte[b.readableBytes()];
            b.getBytes(b.readerIndex(), d);
            got.add(d);
            seen.add(b);
        });
        assertThat(got).containsExactly(new byte[] {2, 3, 4});
        assertThat(seen.getFirst().refCnt()).as("the chunk is freed after the drain").isZero();
    }
}
