package dev.gridmesh.protocol.relay;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gridmesh.crypto.NodePublicKey;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/** Garbage and mutated messages never throw anything but {@link RelayDecodeException}; valid ones round-trip. */
class RelayCodecPropertiesTest {

    @Property(tries = 3000)
    void garbageMessageOnlyTypedErrors(@ForAll byte[] bytes) {
        parseQuietly(bytes);
    }

    @Property(tries = 3000)
    void garbageHeaderOnlyTypedErrors(@ForAll byte[] bytes) {
        try {
            FrameHeader h = FrameHeader.decode(ByteBuffer.wrap(bytes), Frames.MAX_PAYLOAD);
            assertThat(h.length()).isLessThanOrEqualTo(Frames.MAX_PAYLOAD);
        } catch (RelayDecodeException expected) {
            assertThat(expected.reason()).isNotNull();
        }
    }

    @Property(tries = 2000)
    void mutatedValidMessagesOnlyTypedErrors(@ForAll("messages") ControlMessage m, @ForAll long seed) {
        byte[] b = m.encode();
        Random r = new Random(seed);
        for (int i = 0; i < 8; i++) {
            byte[] c = b.clone();
            int flips = 1 + r.nextInt(4);
            for (int f = 0; f < flips && c.length > 0; f++) {
                c[r.nextInt(c.length)] = (byte) r.nextInt(256);
            }
            parseQuietly(c);
            parseQuietly(java.util.Arrays.copyOf(b, r.nextInt(b.length + 1)));
        }
    }

    @Property(tries = 1000)
    void validMessagesRoundTrip(@ForAll("messages") ControlMessage m) throws Exception {
        byte[] b = m.encode();
        ControlMessage back = ControlMessage.parse(ByteBuffer.wrap(b));
        assertThat(back.encode()).isEqualTo(b);
    }

    private static void parseQuietly(byte[] bytes) {
        try {
            ControlMessage.parse(ByteBuffer.wrap(bytes));
        } catch (RelayDecodeException expected) {
            assertThat(expected.reason()).isNotNull();
        }
    }

    @Provide
    Arbitrary<ControlMessage> messages() {
        return Arbitraries.longs().map(RelayCodecPropertiesTest::randomMessage);
    }

    static ControlMessage randomMessage(long seed) {
        Random r = new Random(seed);
        return switch (r.nextInt(11)) {
            case 0 -> new ControlMessage.ServerHello(bytes(r, 32), bytes(r, 32));
            case 1 -> new ControlMessage.Register(key(r), bytes(r, 32), str(r, 63), str(r, 255));
            case 2 -> new ControlMessage.RegisterOk(str(r, 63), ip(r), r.nextInt(33));
            case 3 -> {
                List<PeerInfo> ps = new ArrayList<>();
                for (int i = r.nextInt(5); i > 0; i--) {
                    ps.add(peer(r));
                }
                yield new ControlMessage.PeerMap(r.nextBoolean(), r.nextBoolean(), ps);
            }
            case 4 -> new ControlMessage.PeerAdded(peer(r));
            case 5 -> new ControlMessage.PeerRemoved(key(r));
            case 6 -> new ControlMessage.PeerChanged(peer(r));
            case 7 -> new ControlMessage.Ping(r.nextLong());
            case 8 -> new ControlMessage.Pong(r.nextLong());
            case 9 -> new ControlMessage.Error(ErrorCode.values()[r.nextInt(ErrorCode.values().length)], str(r, 300));
            default -> new ControlMessage.SetEndpoints(endpoints(r));
        };
    }

    private static PeerInfo peer(Random r) {
        List<InetAddress> ips = new ArrayList<>();
        for (int i = r.nextInt(3); i > 0; i--) {
            ips.add(ip(r));
        }
        return new PeerInfo(str(r, 63), key(r), ips, endpoints(r), r.nextBoolean());
    }

    private static List<InetSocketAddress> endpoints(Random r) {
        List<InetSocketAddress> eps = new ArrayList<>();
        for (int i = r.nextInt(4); i > 0; i--) {
            eps.add(new InetSocketAddress(ip(r), r.nextInt(65536)));
        }
        return eps;
    }

    private static InetAddress ip(Random r) {
        try {
            return InetAddress.getByAddress(bytes(r, 4));
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    private static NodePublicKey key(Random r) {
        return NodePublicKey.fromBytes(bytes(r, 32));
    }

    private static byte[] bytes(Random r, int n) {
        byte[] b = new byte[n];
        r.nextBytes(b);
        return b;
    }

    private static String str(Random r, int maxBytes) {
        int n = r.nextInt(Math.min(maxBytes, 20) + 1);
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < n; i++) {
            sb.append((char) ('a' + r.nextInt(26)));
        }
        return sb.toString();
    }
}
