package dev.gridmesh.relay.store.etcd;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gridmesh.crypto.NodePublicKey;
import dev.gridmesh.protocol.net.IpPrefix;
import dev.gridmesh.relay.store.NodeRecord;
import dev.gridmesh.relay.store.TokenRecord;
import io.etcd.jetcd.ByteSequence;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * JSON values of the etcd keys ({@link EtcdKeys}). Times are epoch milliseconds, as in the H2 store.
 *
 * <pre>
 * node:  {"key":"&lt;base64&gt;","name":"w7","ip":"100.64.0.2","tags":["gpu"],"created":1764..,"seen":1764..,
 *         "endpoints":[["198.18.0.1",41641]]}
 * token: {"reusable":true,"expires":null|1764..,"tags":[],"created":1764..,"uses":0}
 * admin: {"hash":"&lt;sha-256 hex&gt;","created":1764..}
 * </pre>
 */
final class EtcdRecords {
    static final ObjectMapper JSON = new ObjectMapper();
    private static final HexFormat HEX = HexFormat.of();

    private EtcdRecords() {}

    static ByteSequence node(NodeRecord n) {
        ObjectNode o = JSON.createObjectNode();
        o.put("key", n.nodeKey().toBase64());
        o.put("name", n.name());
        o.put("ip", n.overlayIp().getHostAddress());
        ArrayNode tags = o.putArray("tags");
        new TreeSet<>(n.tags()).forEach(tags::add);
        o.put("created", n.created().toEpochMilli());
        o.put("seen", n.lastSeen().toEpochMilli());
        ArrayNode eps = o.putArray("endpoints");
        for (InetSocketAddress e : n.endpoints()) {
            eps.addArray().add(e.getAddress().getHostAddress()).add(e.getPort());
        }
        return ByteSequence.from(o.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    static NodeRecord node(ByteSequence value) throws IOException {
        JsonNode o = JSON.readTree(value.getBytes());
        List<InetSocketAddress> eps = new ArrayList<>();
        for (JsonNode e : o.path("endpoints")) {
            eps.add(new InetSocketAddress(address(e.get(0).asText()), e.get(1).asInt()));
        }
        try {
            return new NodeRecord(NodePublicKey.fromBase64(o.path("key").asText()), o.path("name").asText(),
                    address(o.path("ip").asText()), strings(o.path("tags")), Instant.ofEpochMilli(o.path("created").asLong()),
                    Instant.ofEpochMilli(o.path("seen").asLong()), eps);
        } catch (RuntimeException e) {
            throw new IOException("bad node record: " + e.getMessage(), e);
        }
    }

    static ByteSequence token(TokenRecord t) {
        ObjectNode o = JSON.createObjectNode();
        o.put("reusable", t.reusable());
        if (t.expires() == null) {
            o.putNull("expires");
        } else {
            o.put("expires", t.expires().toEpochMilli());
        }
        ArrayNode tags = o.putArray("tags");
        new TreeSet<>(t.tags()).forEach(tags::add);
        o.put("created", t.created().toEpochMilli());
        o.put("uses", t.uses());
        return ByteSequence.from(o.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    static TokenRecord token(byte[] hash, ByteSequence value) throws IOException {
        JsonNode o = JSON.readTree(value.getBytes());
        JsonNode exp = o.path("expires");
        try {
            return new TokenRecord(hash, o.path("reusable").asBoolean(),
                    exp.isNumber() ? Instant.ofEpochMilli(exp.asLong()) : null, strings(o.path("tags")),
                    Instant.ofEpochMilli(o.path("created").asLong()), o.path("uses").asInt());
        } catch (RuntimeException e) {
            throw new IOException("bad token record: " + e.getMessage(), e);
        }
    }

    static TokenRecord withUse(TokenRecord t) {
        return new TokenRecord(t.hash(), t.reusable(), t.expires(), t.tags(), t.created(), t.uses() + 1);
    }

    static ByteSequence admin(byte[] hash, Instant created) {
        ObjectNode o = JSON.createObjectNode();
        o.put("hash", HEX.formatHex(hash));
        o.put("created", created.toEpochMilli());
        return ByteSequence.from(o.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    static byte[] adminHash(ByteSequence value) throws IOException {
        try {
            return HEX.parseHex(JSON.readTree(value.getBytes()).path("hash").asText());
        } catch (IllegalArgumentException e) {
            throw new IOException("bad admin credential: " + e.getMessage(), e);
        }
    }

    static InetAddress address(String text) throws IOException {
        try {
            return InetAddress.getByAddress(IpPrefix.parseAddress(text));
        } catch (IllegalArgumentException e) {
            throw new IOException("bad address " + text, e);
        }
    }

    private static Set<String> strings(JsonNode arr) {
        Set<String> out = new TreeSet<>();
        for (JsonNode t : arr) {
            out.add(t.asText());
        }
        return out;
    }
}
