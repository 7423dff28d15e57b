package dev.gridmesh.relay.store.etcd;

import dev.gridmesh.crypto.NodePublicKey;
import io.etcd.jetcd.ByteSequence;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.Objects;

/**
 * Where gridmesh keeps its state in etcd, every key under one prefix ({@code /gridmesh/} by default):
 *
 * <pre>
 * PREFIX nodes/&lt;node key, 64 hex&gt;   -&gt; node record (JSON)           the registry
 * PREFIX names/&lt;name&gt;               -&gt; node key hex                  unique-name claim
 * PREFIX ips/&lt;overlay ip&gt;            -&gt; node key hex                  unique-address claim
 * PREFIX tokens/&lt;sha-256 hex&gt;        -&gt; token record (JSON, uses)     join tokens, hashed
 * PREFIX admin/&lt;name&gt;               -&gt; admin credential (JSON, hash)
 * PREFIX relays/&lt;relay id&gt;          -&gt; relay record (JSON)           lease-bound: relays alive now
 * PREFIX presence/&lt;node key hex&gt;    -&gt; relay id                      lease-bound: which relay holds the node
 * </pre>
 *
 * A node, its name claim and its address claim are written and deleted together in one transaction.
 */
public final class EtcdKeys {
    private static final HexFormat HEX = HexFormat.of();
    private final String prefix;

    public EtcdKeys(String prefix) {
        Objects.requireNonNull(prefix, "prefix");
        if (!prefix.startsWith("/") || !prefix.endsWith("/")) {
            throw new IllegalArgumentException("etcd prefix: " + prefix + " (expected: /.../)");
        }
        this.prefix = prefix;
    }

    public String prefix() {
        return prefix;
    }

    public static String hex(NodePublicKey key) {
        byte[] b = new byte[32];
        key.copyTo(b, 0);
        return HEX.formatHex(b);
    }

    public static NodePublicKey keyFromHex(String hex) {
        return NodePublicKey.fromBytes(HEX.parseHex(hex));
    }

    public ByteSequence nodes() {
        return bs(prefix + "nodes/");
    }

    public ByteSequence node(NodePublicKey key) {
        return bs(prefix + "nodes/" + hex(key));
    }

    public ByteSequence names() {
        return bs(prefix + "names/");
    }

    public ByteSequence name(String name) {
        return bs(prefix + "names/" + name);
    }

    public ByteSequence ips() {
        return bs(prefix + "ips/");
    }

    public ByteSequence ip(InetAddress ip) {
        return bs(prefix + "ips/" + ip.getHostAddress());
    }

    public ByteSequence tokens() {
        return bs(prefix + "tokens/");
    }

    public ByteSequence token(byte[] hash) {
        return bs(prefix + "tokens/" + HEX.formatHex(hash));
    }

    public ByteSequence admin(String name) {
        return bs(prefix + "admin/" + name);
    }

    public ByteSequence relays() {
        return bs(prefix + "relays/");
    }

    public ByteSequence relay(String id) {
        return bs(prefix + "relays/" + id);
    }

    public ByteSequence presences() {
        return bs(prefix + "presence/");
    }

    public ByteSequence presence(NodePublicKey key) {
        return bs(prefix + "presence/" + hex(key));
    }

    /** The part of {@code key} after {@code dir} (one of the directory keys above). */
    public static String suffix(ByteSequence key, ByteSequence dir) {
        return key.substring(dir.size()).toString(StandardCharsets.UTF_8);
    }

    public static ByteSequence bs(String s) {
        return ByteSequence.from(s, StandardCharsets.UTF_8);
    }
}
