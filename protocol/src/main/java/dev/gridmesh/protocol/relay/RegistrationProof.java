package dev.gridmesh.protocol.relay;

import dev.gridmesh.crypto.NodePrivateKey;
import dev.gridmesh.crypto.NodePublicKey;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Objects;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.bouncycastle.math.ec.rfc7748.X25519;

/**
 * Proof that a registering agent holds the private half of the node key it presents.
 *
 * <p>Per connection the relay makes a fresh X25519 key pair {@code (e, E)} and a 32-byte random challenge {@code c},
 * and sends {@code ServerHello(E, c)}. The agent, holding node key pair {@code (n, N)}, answers
 * {@code Register(N, proof, hostname, token)} with
 *
 * <pre>
 *   shared = X25519(n, E)                      (= X25519(e, N) on the relay; all-zero result refused)
 *   proof  = HMAC-SHA256(key = shared,
 *                        "gridmesh-relay-register-v1" | E | c | N | u8 len | hostname | u8 len | token)
 * </pre>
 *
 * Why it holds:
 * <ul>
 *   <li><b>Forged node key</b>: without {@code n}, nobody can compute {@code X25519(n, E)} for a fresh {@code E};
 *       a proof made with any other key does not verify against {@code N}.</li>
 *   <li><b>Replayed registration</b>: {@code E} and {@code c} are fresh for every connection and the relay forgets
 *       {@code e} when the connection ends, so a Register recorded on one connection does not verify on another.
 *       A second Register on the same connection is refused by the session state machine.</li>
 *   <li><b>Tampering</b>: hostname and token are inside the MAC, so they cannot be swapped under a valid proof.</li>
 *   <li>Low-order points for {@code N} give an all-zero shared secret and are refused.</li>
 * </ul>
 * The proof is sent inside TLS (server pinned by the agent); binding it to the TLS session as well (RFC 9266
 * tls-exporter) is a possible hardening, not done in version 1. The relay never learns {@code n}, and the
 * WireGuard data keys are never derived from this exchange.
 *
 * <p>An instance is the relay's side for one connection: not thread-safe, use it once.
 */
public final class RegistrationProof {
    static final byte[] LABEL = "gridmesh-relay-register-v1".getBytes(StandardCharsets.US_ASCII);

    private final byte[] ephemeralPrivate = new byte[32];
    private final byte[] ephemeralPublic = new byte[32];
    private final byte[] challenge = new byte[32];

    /** A fresh server ephemeral key and challenge from {@code random}. */
    public RegistrationProof(SecureRandom random) {
        Objects.requireNonNull(random, "random");
        X25519.generatePrivateKey(random, ephemeralPrivate);
        X25519.generatePublicKey(ephemeralPrivate, 0, ephemeralPublic, 0);
        random.nextBytes(challenge);
    }

    /** The message the relay sends first on this connection. */
    public ControlMessage.ServerHello hello() {
        return new ControlMessage.ServerHello(ephemeralPublic, challenge);
    }

    /** Whether {@code r}'s proof verifies for this connection's hello (constant-time compare). */
    public boolean verify(ControlMessage.Register r) {
        byte[] shared = new byte[32];
        byte[] nodeKey = r.nodeKey().toBytes();
        if (!X25519.calculateAgreement(ephemeralPrivate, 0, nodeKey, 0, shared, 0)) {
            return false;
        }
        byte[] expected = mac(shared, ephemeralPublic, challenge, r.nodeKey(), r.hostname(), r.joinToken());
        Arrays.fill(shared, (byte) 0);
        return MessageDigest.isEqual(expected, r.proof());
    }

    /** Forgets the ephemeral private key. */
    public void destroy() {
        Arrays.fill(ephemeralPrivate, (byte) 0);
    }

    /** The agent's side: the Register message answering {@code hello}. */
    public static ControlMessage.Register register(NodePrivateKey nodeKey, ControlMessage.ServerHello hello,
                                                   String hostname, String joinToken) {
        NodePublicKey pub = nodeKey.publicKey();
        byte[] shared = new byte[32];
        if (!nodeKey.agree(NodePublicKey.fromBytes(hello.serverEphemeral()), shared, 0)) {
            throw new IllegalArgumentException("server ephemeral key is a low-order point");
        }
        byte[] proof = mac(shared, hello.serverEphemeral(), hello.challenge(), pub, hostname, joinToken);
        Arrays.fill(shared, (byte) 0);
        return new ControlMessage.Register(pub, proof, hostname, joinToken);
    }

    static byte[] mac(byte[] shared, byte[] serverEphemeral, byte[] challenge, NodePublicKey nodeKey,
                      String hostname, String token) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(shared, "HmacSHA256"));
            mac.update(LABEL);
            mac.update(serverEphemeral);
            mac.update(challenge);
            mac.update(nodeKey.toBytes());
            byte[] h = hostname.getBytes(StandardCharsets.UTF_8);
            mac.update((byte) h.length);
            mac.update(h);
            byte[] t = token.getBytes(StandardCharsets.UTF_8);
            mac.update((byte) t.length);
            mac.update(t);
            return mac.doFinal();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 unavailable", e);
        }
    }
}
