package dev.gridmesh.relay.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gridmesh.crypto.NodePublicKey;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * This relay's picture of the others, kept from the etcd watch: which relays are alive (and how to dial them) and
 * which relay holds each online node. Read from any thread (packet forwarding); written by the watch, in order.
 */
final class ClusterView {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** A live relay: its id, where its link listens, and its certificate pin. */
    record Relay(String id, String host, int port, String pin) {
        byte[] encode() {
            return JSON.createObjectNode().put("host", host).put("port", port).put("pin", pin).toString()
                    .getBytes(StandardCharsets.UTF_8);
        }

        static Relay decode(String id, byte[] json) throws IOException {
            JsonNode o = JSON.readTree(json);
            if (!o.path("host").isTextual() || !o.path("port").isInt() || !o.path("pin").isTextual()) {
                throw new IOException("relay record " + id + ": expected {host, port, pin}");
            }
            return new Relay(id, o.get("host").asText(), o.get("port").asInt(), o.get("pin").asText());
        }
    }

    /** Which relay holds a node, as of etcd revision {@code revision}. */
    record Presence(String relay, long revision) {}

    final Map<String, Relay> relays = new ConcurrentHashMap<>();
    final Map<NodePublicKey, Presence> presence = new ConcurrentHashMap<>();

    /** The relay holding {@code key}, or null. */
    String holder(NodePublicKey key) {
        Presence p = presence.get(key);
        return p == null ? null : p.relay();
    }
}
