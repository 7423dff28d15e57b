package dev.gridmesh.nat.disco;

import static java.util.Objects.requireNonNull;

import dev.gridmesh.crypto.NodePrivateKey;
import dev.gridmesh.crypto.NodePublicKey;
import dev.gridmesh.nat.classify.MappingBehavior;
import dev.gridmesh.nat.demux.DatagramDemux;
import dev.gridmesh.nat.disco.DiscoMessage.CallMeMaybe;
import dev.gridmesh.nat.disco.DiscoMessage.Ping;
import dev.gridmesh.nat.disco.DiscoMessage.Pong;
import dev.gridmesh.nat.stun.TransactionId;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import java.util.random.RandomGenerator;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Seals and opens disco packets between two nodes, NaCl-box style: X25519 of the node keys, a key derived from it,
 * and ChaCha20-Poly1305 (RFC 8439) with a random 96-bit nonce per packet.
 *
 * <pre>
 *  0        6                               38            50                        ...
 * +--------+-------------------------------+-------------+---------------------------------------+
 * | magic  | sender node public key (32)   | nonce (12)  | ChaCha20-Poly1305(plaintext) + tag(16) |
 * | 6 B    |                               |             |                                       |
 * +--------+-------------------------------+-------------+---------------------------------------+
 *  magic = 'G' 'M' F0 9F 92 AC (see DatagramDemux); AAD = magic || sender key
 *
 * plaintext: | type (1) | version (1) = 0 | body |
 *   Ping  0x01: transaction id (12) | 18 zero bytes of padding, so a pong is never larger than its ping
 *   Pong  0x02: transaction id (12) | observed source: IPv6 or IPv4-mapped address (16) | port (2)
 *   CallMeMaybe 0x03: n x ( address (16) | port (2) ), n <= 32 | [ nat (1) ]
 *     nat: the sender's mapping behaviour, 1 = no NAT, 2 = endpoint-independent, 3 = endpoint-dependent; absent
 *     = unknown (so a call-me-maybe without it is the old form, byte for byte). Receivers take body % 18 == 1 as
 *     "nat byte present"; other values of the byte read as unknown. Decoders older than the nat byte reject a
 *     call-me-maybe that carries it (MALFORMED): mixed versions only lose birthday punching's coordination.
 *
 * key = HMAC-SHA256(key = "gridmesh disco v1", X25519(self, peer) || lower public key || higher public key)
 * </pre>
 *
 * <p>The same key serves both directions; random nonces make reuse between the two directions negligible (2^-96 per
 * pair of packets). Replay of a ping only elicits a pong; pongs are matched to outstanding pings by the caller.
 * Keys are cached per peer (bounded, LRU). Not thread-safe: one instance per I/O thread.
 */
public final class DiscoBox {
    public static final int HEADER = DatagramDemux.DISCO_MAGIC_LENGTH + 32 + 12;
    public static final int TAG = 16;
    public static final int OVERHEAD = HEADER + TAG + 2;
    private static final int ENDPOINT_BYTES = 18;
    private static final int PING_BODY = 12 + ENDPOINT_BYTES;
    private static final byte[] KDF_LABEL = "gridmesh disco v1".getBytes(StandardCharsets.US_ASCII);
    private static final int CACHE_LIMIT = 4096;

    private final NodePrivateKey self;
    private final byte[] selfPublic;
    private final RandomGenerator rng;
    private final Map<NodePublicKey, SecretKeySpec> keys = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<NodePublicKey, SecretKeySpec> eldest) {
            return size() > CACHE_LIMIT;
        }
    };
    private final Cipher cipher;

    /** @param rng nonce source: a {@link java.security.SecureRandom} in production */
    public DiscoBox(NodePrivateKey self, RandomGenerator rng) {
        this.self = requireNonNull(self, "self");
        this.selfPublic = self.publicKey().toBytes();
        this.rng = requireNonNull(rng, "rng");
        try {
            this.cipher = Cipher.getInstance("ChaCha20-Poly1305");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("ChaCha20-Poly1305 unavailable in this JDK", e);
        }
    }

    public NodePublicKey publicKey() {
        return self.publicKey();
    }

    /** Seals {@code msg} for {@code peer}. Throws IllegalArgumentException only for a low-order peer key. */
    public byte[] seal(NodePublicKey peer, DiscoMessage msg) {
        SecretKeySpec key = key(peer);
        if (key == null) {
            throw new IllegalArgumentException("peer key " + peer + " is a low-order point");
        }
        ByteBuffer plain = ByteBuffer.allocate(2 + bodyLength(msg));
        plain.put((byte) msg.type()).put((byte) 0);
        switch (msg) {
            case Ping p -> plain.put(p.transactionId().toBytes()).put(new byte[ENDPOINT_BYTES]);
            case Pong p -> {
                plain.put(p.transactionId().toBytes());
                putEndpoint(plain, p.observedSource());
            }
            case CallMeMaybe c -> {
                c.endpoints().forEach(e -> putEndpoint(plain, e));
                if (c.nat() != MappingBehavior.UNKNOWN) {
                    plain.put((byte) natCode(c.nat()));
                }
            }
        }
        byte[] nonce = new byte[12];
        rng.nextBytes(nonce);
        ByteBuffer out = ByteBuffer.allocate(HEADER + plain.capacity() + TAG);
        DatagramDemux.putDiscoMagic(out);
        out.put(selfPublic).put(nonce);
        try {
            cipher.init(Cipher.ENCRYPT_MODE, key, new IvParameterSpec(nonce));
            cipher.updateAAD(out.array(), 0, DatagramDemux.DISCO_MAGIC_LENGTH + 32);
            cipher.doFinal(plain.flip(), out);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("ChaCha20-Poly1305 seal failed", e);
        }
        return out.array();
    }

    /**
     * Opens a disco packet (position to limit; position untouched). Never throws.
     *
     * @param knownSender checked before any key agreement: return false for keys that are not our peers
     */
    public DiscoDecoded open(ByteBuffer packet, Predicate<NodePublicKey> knownSender) {
        ByteBuffer in = packet.duplicate();
        int p = in.position();
        int n = in.remaining();
        byte[] magic = DatagramDemux.discoMagic();
        if (n < magic.length) {
            return err(DiscoError.NOT_DISCO);
        }
        for (int i = 0; i < magic.length; i++) {
            if (in.get(p + i) != magic[i]) {
                return err(DiscoError.NOT_DISCO);
            }
        }
        if (n < OVERHEAD) {
            return err(DiscoError.TOO_SHORT);
        }
        byte[] senderBytes = new byte[32];
        in.get(p + magic.length, senderBytes);
        NodePublicKey sender = NodePublicKey.fromBytes(senderBytes);
        if (!knownSender.test(sender)) {
            return err(DiscoError.UNKNOWN_SENDER);
        }
        SecretKeySpec key = key(sender);
        if (key == null) {
            return err(DiscoError.BAD_KEY);
        }
        byte[] nonce = new byte[12];
        in.get(p + magic.length + 32, nonce);
        ByteBuffer plain = ByteBuffer.allocate(n - HEADER - TAG);
        try {
            cipher.init(Cipher.DECRYPT_MODE, key, new IvParameterSpec(nonce));
            byte[] aad = new byte[magic.length + 32];
            in.get(p, aad);
            cipher.updateAAD(aad);
            in.position(p + HEADER);
            cipher.doFinal(in, plain);
        } catch (AEADBadTagException e) {
            return err(DiscoError.DECRYPT_FAILED);
        } catch (GeneralSecurityException | RuntimeException e) {
            return err(DiscoError.DECRYPT_FAILED);
        }
        plain.flip();
        int type = plain.get() & 0xFF;
        int version = plain.get() & 0xFF;
        if (version != 0) {
            return err(DiscoError.UNKNOWN_TYPE);
        }
        int body = plain.remaining();
        DiscoMessage msg = switch (type) {
            case 0x01 -> body == PING_BODY ? new Ping(readTx(plain)) : null;
            case 0x02 -> body == 12 + ENDPOINT_BYTES ? new Pong(readTx(plain), readEndpoint(plain)) : null;
            case 0x03 -> {
                int rest = body % ENDPOINT_BYTES;
                if (rest > 1 || body / ENDPOINT_BYTES > CallMeMaybe.MAX_ENDPOINTS) {
                    yield null;
                }
                List<InetSocketAddress> eps = new ArrayList<>(body / ENDPOINT_BYTES);
                for (int i = body / ENDPOINT_BYTES; i > 0; i--) {
                    eps.add(readEndpoint(plain));
                }
                yield new CallMeMaybe(eps, rest == 1 ? natOf(plain.get() & 0xFF) : MappingBehavior.UNKNOWN);
            }
            default -> null;
        };
        if (msg == null) {
            return err(type >= 1 && type <= 3 ? DiscoError.MALFORMED : DiscoError.UNKNOWN_TYPE);
        }
        return new DiscoDecoded.Ok(sender, msg);
    }

    private static int bodyLength(DiscoMessage msg) {
        return switch (msg) {
            case Ping p -> PING_BODY;
            case Pong p -> 12 + ENDPOINT_BYTES;
            case CallMeMaybe c -> c.endpoints().size() * ENDPOINT_BYTES + (c.nat() == MappingBehavior.UNKNOWN ? 0 : 1);
        };
    }

    private SecretKeySpec key(NodePublicKey peer) {
        SecretKeySpec k = keys.get(peer);
        if (k != null) {
            return k;
        }
        byte[] dh = new byte[32];
        if (!self.agree(peer, dh, 0)) {
            return null;
        }
        byte[] peerBytes = peer.toBytes();
        boolean selfLower = Arrays.compareUnsigned(selfPublic, peerBytes) < 0;
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(KDF_LABEL, "HmacSHA256"));
            mac.update(dh);
            mac.update(selfLower ? selfPublic : peerBytes);
            mac.update(selfLower ? peerBytes : selfPublic);
            k = new SecretKeySpec(mac.doFinal(), "ChaCha20");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 unavailable", e);
        } finally {
            Arrays.fill(dh, (byte) 0);
        }
        keys.put(peer, k);
        return k;
    }

    private static TransactionId readTx(ByteBuffer b) {
        byte[] tx = new byte[12];
        b.get(tx);
        return TransactionId.fromBytes(tx);
    }

    private static void putEndpoint(ByteBuffer b, InetSocketAddress e) {
        InetAddress ip = e.getAddress();
        if (ip == null) {
            throw new IllegalArgumentException("unresolved endpoint: " + e);
        }
        byte[] a = ip.getAddress();
        if (ip instanceof Inet4Address) {
            b.put(new byte[10]).put((byte) 0xFF).put((byte) 0xFF).put(a);
        } else {
            b.put(a);
        }
        b.putShort((short) e.getPort());
    }

    private static InetSocketAddress readEndpoint(ByteBuffer b) {
        byte[] a = new byte[16];
        b.get(a);
        int port = b.getShort() & 0xFFFF;
        try {
            // getByAddress turns an IPv4-mapped address back into an Inet4Address, as wanted here
            return new InetSocketAddress(InetAddress.getByAddress(a), port);
        } catch (UnknownHostException e) {
            throw new AssertionError("16 bytes are an address", e);
        }
    }

    private static int natCode(MappingBehavior m) {
        return switch (m) {
            case NO_NAT -> 1;
            case ENDPOINT_INDEPENDENT -> 2;
            case ENDPOINT_DEPENDENT -> 3;
            case UNKNOWN -> 0;
        };
    }

    private static MappingBehavior natOf(int code) {
        return switch (code) {
            case 1 -> MappingBehavior.NO_NAT;
            case 2 -> MappingBehavior.ENDPOINT_INDEPENDENT;
            case 3 -> MappingBehavior.ENDPOINT_DEPENDENT;
            default -> MappingBehavior.UNKNOWN;
        };
    }

    private static DiscoDecoded err(DiscoError e) {
        return new DiscoDecoded.Err(e);
    }
}
