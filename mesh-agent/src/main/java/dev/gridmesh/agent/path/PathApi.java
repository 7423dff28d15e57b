package dev.gridmesh.agent.path;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gridmesh.agent.localapi.LocalApiException;
import dev.gridmesh.agent.localapi.LocalApiHandler;
import dev.gridmesh.agent.outside.DatagramReceiver;
import dev.gridmesh.crypto.NodePublicKey;
import dev.gridmesh.nat.demux.DatagramDemux;
import io.netty.buffer.ByteBuf;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The agent-side glue of {@link PathManager}: the local API ops {@code netcheck} and {@code ping}, the UDP receiver
 * for non-WireGuard datagrams, and the relayed-disco test. Kept here so that MeshAgent only calls in.
 */
public final class PathApi {
    public static final String OP_NETCHECK = "netcheck";
    public static final String OP_PING = "ping";
    /** The relay's STUN port when none is configured. */
    public static final int DEFAULT_STUN_PORT = 3478;
    static final int MAX_PINGS = 100;

    private PathApi() {
    }

    /**
     * {@code HOST:3478} and {@code HOST:3479}: the relay answers STUN on both ports, so that comparing the two
     * reflexive addresses classifies the NAT's mapping.
     */
    public static List<InetSocketAddress> defaultStun(String relayHost) {
        return List.of(new InetSocketAddress(relayHost, DEFAULT_STUN_PORT),
                new InetSocketAddress(relayHost, DEFAULT_STUN_PORT + 1));
    }

    /** Copies each STUN/disco datagram off the event loop to the path manager. */
    public static DatagramReceiver receiver(PathManager paths) {
        return (sender, content) -> {
            byte[] b = new byte[content.readableBytes()];
            content.getBytes(content.readerIndex(), b);
            paths.onUdp(sender, b);
        };
    }

    public static boolean isDisco(ByteBuf payload, int from) {
        int n = payload.writerIndex() - from;
        byte[] magic = DatagramDemux.discoMagic();
        if (n < magic.length) {
            return false;
        }
        for (int i = 0; i < magic.length; i++) {
            if (payload.getByte(from + i) != magic[i]) {
                return false;
            }
        }
        return true;
    }

    public static byte[] copy(ByteBuf payload, int from) {
        byte[] b = new byte[payload.writerIndex() - from];
        payload.getBytes(from, b);
        return b;
    }

    /** The result of the {@code ping} op. */
    public record PingResult(String peer, List<PingReply> replies) {
        public PingResult {
            replies = List.copyOf(replies);
        }
    }

    /**
     * Registers {@code netcheck} (params: {@code portmap} boolean, default true) and {@code ping} (params:
     * {@code peer} name / overlay IP / key, {@code count} 1..100, {@code timeoutMillis}, {@code intervalMillis}).
     */
    public static void register(Map<String, LocalApiHandler> h, Supplier<PathManager> paths,
            Function<String, NodePublicKey> resolve) {
        h.put(OP_NETCHECK, params -> {
            try {
                return require(paths).netcheck(params.path("portmap").asBoolean(true));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new LocalApiException("netcheck interrupted");
            }
        });
        h.put(OP_PING, params -> ping(require(paths), resolve, params));
    }

    private static PathManager require(Supplier<PathManager> paths) throws LocalApiException {
        PathManager p = paths.get();
        if (p == null) {
            throw new LocalApiException("the agent's path manager is not running");
        }
        return p;
    }

    private static PingResult ping(PathManager pm, Function<String, NodePublicKey> resolve, JsonNode params)
            throws LocalApiException {
        String peer = params.path("peer").asText("");
        if (peer.isEmpty()) {
            throw new LocalApiException("ping: peer: missing (expected: a peer's name, overlay IP or node key)");
        }
        NodePublicKey key = resolve.apply(peer);
        if (key == null) {
            throw new LocalApiException("ping: " + peer + ": no such peer (see gridmesh status)");
        }
        int count = params.path("count").asInt(4);
        if (count < 1 || count > MAX_PINGS) {
            throw new LocalApiException("ping: count: " + count + " (expected: 1.." + MAX_PINGS + ")");
        }
        long timeout = Math.max(50, Math.min(10_000, params.path("timeoutMillis").asLong(1000)));
        long interval = Math.max(0, Math.min(10_000, params.path("intervalMillis").asLong(200)));
        List<PingReply> out = new ArrayList<>();
        try {
            for (int i = 1; i <= count; i++) {
                PingReply r = pm.ping(key, i, timeout);
                out.add(r);
                if (i < count && interval > 0) {
                    Thread.sleep(interval);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return new PingResult(peer, out);
    }
}
