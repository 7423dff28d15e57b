package dev.gridmesh.crypto.noise;

import dev.gridmesh.crypto.NodePrivateKey;
import dev.gridmesh.crypto.NodePublicKey;
import dev.gridmesh.crypto.PresharedKey;
import java.util.Arrays;
import java.util.Objects;
import org.bouncycastle.math.ec.rfc7748.X25519;

/**
 * One Noise_IKpsk2 handshake (whitepaper §5.4.2-§5.4.4), either side, operating on the encrypted fields of the
 * WireGuard messages (the codecs own the framing, indices and macs):
 *
 * <pre>
 * initiation fields (108 bytes): ephemeral[32] | encrypted_static[32+16] | encrypted_timestamp[12+16]
 * response fields   (48 bytes):  ephemeral[32] | encrypted_nothing[0+16]
 * </pre>
 *
 * Not thread-safe: the owner (a peer) serialises access. Ephemeral keys are passed in so tests are deterministic.
 */
public final class NoiseHandshake {
    public static final int INITIATION_FIELDS_LEN = 32 + 48 + 28;
    public static final int RESPONSE_FIELDS_LEN = 32 + 16;

    private final NodePrivateKey localStatic;
    private final byte[] localStaticPub;
    private byte[] hash;
    private byte[] chainKey;
    private byte[] localEphemeral;
    private byte[] remoteEphemeral;
    private byte[] remoteStatic;
    private byte[] timestamp;
    private boolean initiator;

    private NoiseHandshake(NodePrivateKey localStatic) {
        this.localStatic = localStatic;
        this.localStaticPub = localStatic.publicKey().toBytes();
    }

    /**
     * Initiator: writes the initiation fields for {@code remote} into out[off..off+108) and returns the handshake
     * awaiting the response. Null if a DH result is zero (remote key of low order).
     */
    public static NoiseHandshake createInitiation(NodePrivateKey localStatic, NodePublicKey remote,
            byte[] ephemeralPrivate, byte[] timestamp12, byte[] out, int off) {
        Objects.requireNonNull(remote, "remote");
        NoiseHandshake hs = new NoiseHandshake(localStatic);
        hs.initiator = true;
        hs.remoteStatic = remote.toBytes();
        byte[] c = Noise.initialChainKey();
        byte[] h = Blake2s.hash(Noise.INITIAL_HASH, hs.remoteStatic);
        hs.localEphemeral = clamp(ephemeralPrivate);
        byte[] ePub = new byte[32];
        X25519.scalarMultBase(hs.localEphemeral, 0, ePub, 0);
        c = Blake2s.kdf1(c, ePub);
        h = Blake2s.hash(h, ePub);
        System.arraycopy(ePub, 0, out, off, 32);
        byte[] dh = dh(hs.localEphemeral, hs.remoteStatic);
        if (dh == null) {
            return null;
        }
        byte[][] ck = Blake2s.kdf2(c, dh);
        c = ck[0];
        byte[] encStatic = ChaChaPoly.seal(ck[1], 0, hs.localStaticPub, h);
        h = Blake2s.hash(h, encStatic);
        System.arraycopy(encStatic, 0, out, off + 32, 48);
        byte[] ss = new byte[32];
        if (!localStatic.agree(remote, ss, 0)) {
            return null;
        }
        ck = Blake2s.kdf2(c, ss);
        c = ck[0];
        byte[] encTs = ChaChaPoly.seal(ck[1], 0, timestamp12, h);
        h = Blake2s.hash(h, encTs);
        System.arraycopy(encTs, 0, out, off + 80, 28);
        hs.chainKey = c;
        hs.hash = h;
        return hs;
    }

    /**
     * Responder: processes the 108 initiation field bytes addressed to {@code localStatic}. Returns the handshake
     * (see {@link #remoteStatic()} and {@link #timestamp()} to find and check the peer) or null if it does not
     * authenticate.
     */
    public static NoiseHandshake consumeInitiation(NodePrivateKey localStatic, byte[] in, int off) {
        NoiseHandshake hs = new NoiseHandshake(localStatic);
        hs.initiator = false;
        byte[] c = Noise.initialChainKey();
        byte[] h = Blake2s.hash(Noise.INITIAL_HASH, hs.localStaticPub);
        byte[] ePub = Arrays.copyOfRange(in, off, off + 32);
        c = Blake2s.kdf1(c, ePub);
        h = Blake2s.hash(h, ePub);
        byte[] dh = new byte[32];
        if (!localStatic.agree(NodePublicKey.fromBytes(ePub), dh, 0)) {
            return null;
        }
        byte[][] ck = Blake2s.kdf2(c, dh);
        c = ck[0];
        byte[] encStatic = Arrays.copyOfRange(in, off + 32, off + 80);
        byte[] rs = ChaChaPoly.open(ck[1], 0, encStatic, h);
        if (rs == null) {
            return null;
        }
        h = Blake2s.hash(h, encStatic);
        byte[] ss = new byte[32];
        if (!localStatic.agree(NodePublicKey.fromBytes(rs), ss, 0)) {
            return null;
        }
        ck = Blake2s.kdf2(c, ss);
        c = ck[0];
        byte[] encTs = Arrays.copyOfRange(in, off + 80, off + 108);
        byte[] ts = ChaChaPoly.open(ck[1], 0, encTs, h);
        if (ts == null) {
            return null;
        }
        h = Blake2s.hash(h, encTs);
        hs.remoteEphemeral = ePub;
        hs.remoteStatic = rs;
        hs.timestamp = ts;
        hs.chainKey = c;
        hs.hash = h;
        return hs;
    }

    /** The initiator's static public key (responder side, after {@link #consumeInitiation}). */
    public NodePublicKey remoteStatic() {
        return NodePublicKey.fromBytes(remoteStatic);
    }

    /** The decrypted TAI64N timestamp of the initiation (responder side). */
    public byte[] timestamp() {
        return timestamp.clone();
    }

    public boolean isInitiator() {
        return initiator;
    }

    /**
     * Responder: writes the 48 response field bytes into out[off..) and returns the session keys. Null if a DH
     * result is zero. The handshake must not be used again.
     */
    public SessionKeys createResponse(PresharedKey psk, byte[] ephemeralPrivate, byte[] out, int off) {
        if (initiator || remoteEphemeral == null) {
            throw new IllegalStateException("not a consumed initiation");
        }
        byte[] c = chainKey;
        byte[] h = hash;
        localEphemeral = clamp(ephemeralPrivate);
        byte[] ePub = new byte[32];
        X25519.scalarMultBase(localEphemeral, 0, ePub, 0);
        c = Blake2s.kdf1(c, ePub);
        h = Blake2s.hash(h, ePub);
        System.arraycopy(ePub, 0, out, off, 32);
        byte[] ee = dh(localEphemeral, remoteEphemeral);
        byte[] se = dh(localEphemeral, remoteStatic);
        if (ee == null || se == null) {
            return null;
        }
        c = Blake2s.kdf1(c, ee);
        c = Blake2s.kdf1(c, se);
        byte[][] ctk = Blake2s.kdf3(c, psk.toBytes());
        c = ctk[0];
        h = Blake2s.hash(h, ctk[1]);
        byte[] empty = ChaChaPoly.seal(ctk[2], 0, new byte[0], h);
        h = Blake2s.hash(h, empty);
        System.arraycopy(empty, 0, out, off + 32, 16);
        byte[][] keys = Blake2s.kdf2(c, new byte[0]);
        wipe();
        return new SessionKeys(keys[1], keys[0], false);
    }

    /**
     * Initiator: processes the 48 response field bytes. Returns the session keys, or null if the response does not
     * authenticate (wrong peer, wrong psk, corrupted); on null the handshake stays usable for a genuine response.
     */
    public SessionKeys consumeResponse(PresharedKey psk, byte[] in, int off) {
        if (!initiator || chainKey == null) {
            throw new IllegalStateException("not an initiation awaiting its response");
        }
        byte[] c = chainKey;
        byte[] h = hash;
        byte[] ePub = Arrays.copyOfRange(in, off, off + 32);
        c = Blake2s.kdf1(c, ePub);
        h = Blake2s.hash(h, ePub);
        byte[] ee = dh(localEphemeral, ePub);
        if (ee == null) {
            return null;
        }
        c = Blake2s.kdf1(c, ee);
        byte[] se = new byte[32];
        if (!localStatic.agree(NodePublicKey.fromBytes(ePub), se, 0)) {
            return null;
        }
        c = Blake2s.kdf1(c, se);
        byte[][] ctk = Blake2s.kdf3(c, psk.toBytes());
        c = ctk[0];
        h = Blake2s.hash(h, ctk[1]);
        byte[] empty = ChaChaPoly.open(ctk[2], 0, in, off + 32, 16, h);
        if (empty == null) {
            return null;
        }
        byte[][] keys = Blake2s.kdf2(c, new byte[0]);
        wipe();
        return new SessionKeys(keys[0], keys[1], true);
    }

    private void wipe() {
        if (localEphemeral != null) {
            Arrays.fill(localEphemeral, (byte) 0);
        }
        if (chainKey != null) {
            Arrays.fill(chainKey, (byte) 0);
        }
        chainKey = null;
        hash = null;
        localEphemeral = null;
    }

    private static byte[] clamp(byte[] k) {
        if (k == null || k.length != 32) {
            throw new IllegalArgumentException("ephemeral private key must be 32 bytes");
        }
        byte[] c = k.clone();
        c[0] &= (byte) 248;
        c[31] &= 127;
        c[31] |= 64;
        return c;
    }

    private static byte[] dh(byte[] priv, byte[] pub) {
        byte[] out = new byte[32];
        return X25519.calculateAgreement(priv, 0, pub, 0, out, 0) ? out : null;
    }

    @Override
    public String toString() {
        return "NoiseHandshake[" + (initiator ? "initiator" : "responder") + "]";
    }
}
