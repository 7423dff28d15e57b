package dev.gridmesh.protocol.wg;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/** Arbitrary bytes from the network and from TUN never throw out of the engine. */
class WgEngineFuzzTest {
    static final EnginePair PAIR = new EnginePair(WgTimers.standard()).establish();

    static {
        PAIR.b.engine.setUnderLoadThreshold(Integer.MAX_VALUE); // process every handshake message fully
    }

    @Property(tries = 2000)
    void decapsulateNeverThrows(@ForAll("datagrams") byte[] datagram) {
        PacketResult r = new PacketResult();
        Action a = PAIR.b.engine.decapsulate(PAIR.a.address, ByteBuffer.wrap(datagram), ByteBuffer.allocate(2048),
                PAIR.now, r);
        assertThat(a).isIn(Action.DROP, Action.NONE, Action.SEND);
        if (a == Action.DROP) {
            assertThat(r.dropReason).isNotNull();
        }
    }

    @Property(tries = 1000)
    void mutatedRealMessagesNeverThrowNorPass(@ForAll("mutations") int[] mutation) {
        var log = PAIR.log;
        byte[] m = log.get(Math.floorMod(mutation[0], log.size())).datagram().clone();
        int pos = Math.floorMod(mutation[1], m.length);
        m[pos] ^= (byte) (mutation[2] | 1);
        PacketResult r = new PacketResult();
        Action a = PAIR.b.engine.decapsulate(PAIR.a.address, ByteBuffer.wrap(m), ByteBuffer.allocate(2048),
                PAIR.now, r);
        assertThat(a).isNotEqualTo(Action.WRITE_TUN);
    }

    /** Past mac1 the Noise processing itself sees garbage: low-order points, bad tags. Dropped, never thrown. */
    @Property(tries = 300)
    void corruptedHandshakeWithValidMac1IsDropped(@ForAll("mutations") int[] mutation) {
        byte[] init = PAIR.sent("a", WgMessage.TYPE_INITIATION).get(0).datagram().clone();
        int pos = 8 + Math.floorMod(mutation[1], 108);
        init[pos] ^= (byte) (mutation[2] | 1);
        if (mutation[0] % 4 == 0) {
            java.util.Arrays.fill(init, 8, 40, (byte) 0); // low-order ephemeral: the DH result is zero
        }
        new dev.gridmesh.crypto.cookie.CookieGenerator(PAIR.b.key.publicKey(), java.time.Duration.ofMinutes(2))
                .addMacs(init, 0, init.length, 0);
        PacketResult r = new PacketResult();
        Action a = PAIR.b.engine.decapsulate(PAIR.a.address, ByteBuffer.wrap(init), ByteBuffer.allocate(2048),
                PAIR.now, r);
        if (a == Action.SEND) { // the fuzzing put b under load: a cookie reply instead of processing
            assertThat(r.dropReason).isEqualTo(DropReason.BAD_MAC2_UNDER_LOAD);
        } else {
            assertThat(a).isEqualTo(Action.DROP);
            assertThat(r.dropReason).isEqualTo(DropReason.HANDSHAKE_FAILED);
        }
    }

    @Property(tries = 1000)
    void encapsulateNeverThrows(@ForAll("datagrams") byte[] packet) {
        PacketResult r = new PacketResult();
        Action a = PAIR.a.engine.encapsulate(ByteBuffer.wrap(packet), ByteBuffer.allocate(packet.length + 64),
                PAIR.now, r);
        assertThat(a).isIn(Action.DROP, Action.NONE, Action.SEND);
    }

    @Provide
    Arbitrary<byte[]> datagrams() {
        Arbitrary<byte[]> any = Arbitraries.bytes().array(byte[].class).ofMaxSize(300);
        Arbitrary<byte[]> typed = Arbitraries.integers().between(0, 5).flatMap(type -> Arbitraries.of(0, 3, 31, 32,
                33, 64, 92, 148, 200).flatMap(len -> Arbitraries.bytes().array(byte[].class).ofSize(len).map(b -> {
                    if (b.length >= 4) {
                        b[0] = (byte) (int) type;
                        b[1] = b[2] = b[3] = 0;
                    }
                    return b;
                })));
        return Arbitraries.oneOf(any, typed);
    }

    @Provide
    Arbitrary<int[]> mutations() {
        return Arbitraries.integers().array(int[].class).ofSize(3);
    }
}
