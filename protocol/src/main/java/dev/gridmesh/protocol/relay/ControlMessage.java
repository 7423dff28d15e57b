package dev.gridmesh.protocol.relay;

import dev.gridmesh.crypto.NodePublicKey;
import dev.gridmesh.protocol.relay.RelayDecodeException.Reason;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;

/**
 * The messages carried in CONTROL frames (see {@link FrameHeader}). A payload is one message type byte then the
 * body; big-endian integers; {@code str8}/{@code str16} = u8/u16 byte length then UTF-8; no trailing bytes.
 *
 * <pre>
 * type  name          direction      body
 * 0x01  ServerHello   relay -> agent server ephemeral X25519 public key (32) | challenge (32)
 * 0x02  Register      agent -> relay node key (32) | proof (32) | hostname str8 (<= 63) | join token str8 (<= 255, "" = none)
 * 0x03  RegisterOk    relay -> agent node name str8 | overlay ip (u8 len 4|16, bytes) | prefix bits (u8)
 * 0x04  PeerMap       relay -> agent flags (u8: bit0 FIRST, bit1 LAST) | count (u16) | peer* ({@link PeerInfo})
 * 0x05  PeerAdded     relay -> agent peer
 * 0x06  PeerRemoved   relay -> agent node key (32)
 * 0x07  PeerChanged   relay -> agent peer
 * 0x08  Ping          both           nonce (u64)
 * 0x09  Pong          both           nonce (u64) echoed
 * 0x0a  Error         both           code (u16, {@link ErrorCode}) | message str16 (<= 1024)
 * 0x0b  SetEndpoints  agent -> relay count (u8, <= 16) | endpoint*
 * </pre>
 *
 * A full peer map may span several PeerMap messages: the one with FIRST replaces the agent's map, the following
 * ones add to it, the one with LAST completes it (a single message may carry both flags). Deltas
 * (PeerAdded/PeerRemoved/PeerChanged) only follow a complete map.
 */
public sealed interface ControlMessage {
    int MAX_TOKEN = 255;
    int MAX_ERROR_MESSAGE = 1024;

    /** The message type byte. */
    int type();

    /** Type byte and body. */
    byte[] encode();

    /** Parses one whole message (type byte, body, nothing after). Never throws anything but the typed error. */
    static ControlMessage parse(ByteBuffer in) throws RelayDecodeException {
        WireReader r = new WireReader(in);
        int type = r.u8("message type");
        ControlMessage m = switch (type) {
            case ServerHello.TYPE -> new ServerHello(r.bytes(32, "server ephemeral key"), r.bytes(32, "challenge"));
            case Register.TYPE -> new Register(NodePublicKey.fromBytes(r.bytes(32, "node key")), r.bytes(32, "proof"),
                    r.string(false, PeerInfo.MAX_NAME, "hostname"), r.string(false, MAX_TOKEN, "join token"));
            case RegisterOk.TYPE -> {
                String name = r.string(false, PeerInfo.MAX_NAME, "node name");
                InetAddress ip = r.address("overlay ip");
                int bits = r.u8("prefix bits");
                if (bits > ip.getAddress().length * 8) {
                    throw new RelayDecodeException(Reason.BAD_FIELD, "prefix bits " + bits + " for " + ip.getHostAddress());
                }
                yield new RegisterOk(name, ip, bits);
            }
            case PeerMap.TYPE -> {
                int flags = r.u8("peer map flags");
                if ((flags & ~3) != 0) {
                    throw new RelayDecodeException(Reason.BAD_FIELD, "peer map flags " + flags + " (expected: 0..3)");
                }
                int n = r.u16("peer count");
                List<PeerInfo> peers = new ArrayList<>(Math.min(n, in.remaining() / 36 + 1));
                for (int i = 0; i < n; i++) {
                    peers.add(PeerInfo.decode(r));
                }
                yield new PeerMap((flags & 1) != 0, (flags & 2) != 0, peers);
            }
            case PeerAdded.TYPE -> new PeerAdded(PeerInfo.decode(r));
            case PeerRemoved.TYPE -> new PeerRemoved(NodePublicKey.fromBytes(r.bytes(32, "node key")));
            case PeerChanged.TYPE -> new PeerChanged(PeerInfo.decode(r));
            case Ping.TYPE -> new Ping(r.u64("nonce"));
            case Pong.TYPE -> new Pong(r.u64("nonce"));
            case Error.TYPE -> new Error(ErrorCode.of(r.u16("error code")), r.string(true, MAX_ERROR_MESSAGE, "error message"));
            case SetEndpoints.TYPE -> new SetEndpoints(decodeEndpoints(r, "endpoint"));
            default -> throw new RelayDecodeException(Reason.UNKNOWN_MESSAGE, String.format("message type 0x%02x", type));
        };
        r.end(m.getClass().getSimpleName());
        return m;
    }

    /** Sent first by the relay, right after the 101 response: fresh per connection. */
    record ServerHello(byte[] serverEphemeral, byte[] challenge) implements ControlMessage {
        static final int TYPE = 0x01;

        public ServerHello {
            serverEphemeral = check32(serverEphemeral, "serverEphemeral");
            challenge = check32(challenge, "challenge");
        }

        @Override public byte[] serverEphemeral() { return serverEphemeral.clone(); }
        @Override public byte[] challenge() { return challenge.clone(); }
        @Override public int type() { return TYPE; }

        @Override
        public byte[] encode() {
            return new WireWriter().u8(TYPE).bytes(serverEphemeral).bytes(challenge).toByteArray();
        }

        @Override
        public String toString() {
            return "ServerHello[challenge=" + HexFormat.of().formatHex(challenge, 0, 4) + "..]";
        }
    }

    /**
     * The agent's first message: its identity, a proof that it holds the private half (see {@link RegistrationProof}),
     * its hostname, and a join token on first registration ({@code ""} when re-connecting with a known key).
     */
    record Register(NodePublicKey nodeKey, byte[] proof, String hostname, String joinToken) implements ControlMessage {
        static final int TYPE = 0x02;

        public Register {
            Objects.requireNonNull(nodeKey, "nodeKey");
            proof = check32(proof, "proof");
            checkString(hostname, PeerInfo.MAX_NAME, "hostname");
            checkString(joinToken, MAX_TOKEN, "joinToken");
        }

        @Override public byte[] proof() { return proof.clone(); }
        @Override public int type() { return TYPE; }

        @Override
        public byte[] encode() {
            return new WireWriter().u8(TYPE).bytes(nodeKey.toBytes()).bytes(proof)
                    .string(false, hostname).string(false, joinToken).toByteArray();
        }

        /** Never prints the token. */
        @Override
        public String toString() {
            return "Register[" + nodeKey.shortString() + ", hostname=" + hostname + ", token=" + (joinToken.isEmpty() ? "none" : "<redacted>") + "]";
        }
    }

    /** Registration accepted: the node's name in the mesh and its overlay address ({@code ip/prefixBits}). */
    record RegisterOk(String nodeName, InetAddress overlayIp, int prefixBits) implements ControlMessage {
        static final int TYPE = 0x03;

        public RegisterOk {
            checkString(nodeName, PeerInfo.MAX_NAME, "nodeName");
            Objects.requireNonNull(overlayIp, "overlayIp");
            if (prefixBits < 0 || prefixBits > overlayIp.getAddress().length * 8) {
                throw new IllegalArgumentException("prefixBits " + prefixBits);
            }
        }

        @Override public int type() { return TYPE; }

        @Override
        public byte[] encode() {
            return new WireWriter().u8(TYPE).string(false, nodeName).address(overlayIp).u8(prefixBits).toByteArray();
        }
    }

    /** A whole peer map, or one part of it (see the interface doc for FIRST/LAST). */
    record PeerMap(boolean first, boolean last, List<PeerInfo> peers) implements ControlMessage {
        static final int TYPE = 0x04;
        /** Peers per message, so that a message stays below {@link Frames#MAX_PAYLOAD} (a peer is <= 540 bytes). */
        public static final int MAX_PEERS_PER_MESSAGE = 100;

        public PeerMap {
            peers = List.copyOf(peers);
            if (peers.size() > MAX_PEERS_PER_MESSAGE) {
                throw new IllegalArgumentException("peers " + peers.size() + " (expected: <= " + MAX_PEERS_PER_MESSAGE + ")");
            }
        }

        /** The messages that carry {@code all} as one full map (at least one message, even for no peers). */
        public static List<PeerMap> split(List<PeerInfo> all) {
            List<PeerMap> out = new ArrayList<>();
            int n = all.size();
            int i = 0;
            do {
                int end = Math.min(n, i + MAX_PEERS_PER_MESSAGE);
                out.add(new PeerMap(i == 0, end == n, all.subList(i, end)));
                i = end;
            } while (i < n);
            return out;
        }

        /**
         * The first bytes of a PeerMap message (type, flags, count): followed by {@code count} peers each encoded by
         * {@link PeerInfo#encode()}, they make the same bytes as {@link #encode()}. For senders that keep peers
         * encoded (the relay builds every full map from cached peer bytes).
         */
        public static byte[] partHeader(boolean first, boolean last, int count) {
            if (count < 0 || count > MAX_PEERS_PER_MESSAGE) {
                throw new IllegalArgumentException("count " + count + " (expected: 0.." + MAX_PEERS_PER_MESSAGE + ")");
            }
            return new WireWriter().u8(TYPE).u8((first ? 1 : 0) | (last ? 2 : 0)).u16(count).toByteArray();
        }

        @Override public int type() { return TYPE; }

        @Override
        public byte[] encode() {
            WireWriter w = new WireWriter().u8(TYPE).u8((first ? 1 : 0) | (last ? 2 : 0)).u16(peers.size());
            peers.forEach(p -> p.encode(w));
            return w.toByteArray();
        }
    }

    record PeerAdded(PeerInfo peer) implements ControlMessage {
        static final int TYPE = 0x05;

        public PeerAdded {
            Objects.requireNonNull(peer, "peer");
        }

        @Override public int type() { return TYPE; }

        @Override
        public byte[] encode() {
            WireWriter w = new WireWriter().u8(TYPE);
            peer.encode(w);
            return w.toByteArray();
        }
    }

    record PeerRemoved(NodePublicKey nodeKey) implements ControlMessage {
        static final int TYPE = 0x06;

        public PeerRemoved {
            Objects.requireNonNull(nodeKey, "nodeKey");
        }

        @Override public int type() { return TYPE; }

        @Override
        public byte[] encode() {
            return new WireWriter().u8(TYPE).bytes(nodeKey.toBytes()).toByteArray();
        }
    }

    /** A peer's endpoints or online state changed; the record replaces the earlier one with the same key. */
    record PeerChanged(PeerInfo peer) implements ControlMessage {
        static final int TYPE = 0x07;

        public PeerChanged {
            Objects.requireNonNull(peer, "peer");
        }

        @Override public int type() { return TYPE; }

        @Override
        public byte[] encode() {
            WireWriter w = new WireWriter().u8(TYPE);
            peer.encode(w);
            return w.toByteArray();
        }
    }

    /** Keepalive; the receiver answers with a {@link Pong} carrying the same nonce. */
    record Ping(long nonce) implements ControlMessage {
        static final int TYPE = 0x08;

        @Override public int type() { return TYPE; }

        @Override
        public byte[] encode() {
            return new WireWriter().u8(TYPE).u64(nonce).toByteArray();
        }
    }

    record Pong(long nonce) implements ControlMessage {
        static final int TYPE = 0x09;

        @Override public int type() { return TYPE; }

        @Override
        public byte[] encode() {
            return new WireWriter().u8(TYPE).u64(nonce).toByteArray();
        }
    }

    /** A refusal; see {@link ErrorCode} for which ones end the connection. */
    record Error(ErrorCode code, String message) implements ControlMessage {
        static final int TYPE = 0x0a;

        public Error {
            Objects.requireNonNull(code, "code");
            checkString(message, MAX_ERROR_MESSAGE, "message");
        }

        /** An error whose message is cut to fit {@link #MAX_ERROR_MESSAGE} bytes. */
        public static Error of(ErrorCode code, String message) {
            String m = message;
            while (m.getBytes(StandardCharsets.UTF_8).length > MAX_ERROR_MESSAGE) {
                m = m.substring(0, m.length() / 2);
            }
            return new Error(code, m);
        }

        @Override public int type() { return TYPE; }

        @Override
        public byte[] encode() {
            return new WireWriter().u8(TYPE).u16(code.code()).string(true, message).toByteArray();
        }
    }

    /** The agent's own candidate UDP endpoints (local addresses, STUN-reflexive, port-mapped); replaces earlier ones. */
    record SetEndpoints(List<InetSocketAddress> endpoints) implements ControlMessage {
        static final int TYPE = 0x0b;

        public SetEndpoints {
            endpoints = List.copyOf(endpoints);
            checkEndpoints(endpoints);
        }

        @Override public int type() { return TYPE; }

        @Override
        public byte[] encode() {
            WireWriter w = new WireWriter().u8(TYPE).u8(endpoints.size());
            endpoints.forEach(w::endpoint);
            return w.toByteArray();
        }
    }

    private static byte[] check32(byte[] b, String what) {
        if (b == null || b.length != 32) {
            throw new IllegalArgumentException(what + " must be 32 bytes");
        }
        return b.clone();
    }

    private static void checkString(String s, int max, String what) {
        Objects.requireNonNull(s, what);
        if (s.getBytes(StandardCharsets.UTF_8).length > max) {
            throw new IllegalArgumentException(what + " longer than " + max + " bytes");
        }
    }

    static void checkEndpoints(List<InetSocketAddress> endpoints) {
        if (endpoints.size() > PeerInfo.MAX_ENDPOINTS) {
            throw new IllegalArgumentException("endpoints: " + endpoints.size() + " (expected: <= " + PeerInfo.MAX_ENDPOINTS + ")");
        }
        for (InetSocketAddress e : endpoints) {
            if (e.getAddress() == null) {
                throw new IllegalArgumentException("endpoint " + e + " is unresolved (expected: a numeric address)");
            }
        }
    }

    static List<InetSocketAddress> decodeEndpoints(WireReader r, String what) throws RelayDecodeException {
        int n = r.u8(what + " count");
        if (n > PeerInfo.MAX_ENDPOINTS) {
            throw new RelayDecodeException(Reason.BAD_FIELD, what + " count " + n + " (expected: <= " + PeerInfo.MAX_ENDPOINTS + ")");
        }
        InetSocketAddress[] eps = new InetSocketAddress[n];
        for (int i = 0; i < n; i++) {
            eps[i] = r.endpoint(what);
        }
        return List.of(eps);
    }
}
