package dev.gridmesh.crypto.noise;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gridmesh.crypto.NodePrivateKey;
import dev.gridmesh.crypto.PresharedKey;
import java.nio.ByteBuffer;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.Size;

class NoiseHandshakePropertiesTest {
    @Property(tries = 60)
    void bothSidesDeriveMatchingKeys(@ForAll @Size(32) byte[] si, @ForAll @Size(32) byte[] sr,
            @ForAll @Size(32) byte[] ei, @ForAll @Size(32) byte[] er, @ForAll @Size(32) byte[] psk,
            @ForAll @Size(12) byte[] timestamp) {
        NodePrivateKey initiator = NodePrivateKey.fromBytes(si);
        NodePrivateKey responder = NodePrivateKey.fromBytes(sr);
        PresharedKey q = PresharedKey.fromBytes(psk);
        byte[] m1 = new byte[NoiseHandshake.INITIATION_FIELDS_LEN];
        NoiseHandshake i = NoiseHandshake.createInitiation(initiator, responder.publicKey(), ei, timestamp, m1, 0);
        NoiseHandshake r = NoiseHandshake.consumeInitiation(responder, m1, 0);
        assertThat(r.remoteStatic()).isEqualTo(initiator.publicKey());
        assertThat(r.timestamp()).isEqualTo(timestamp);
        byte[] m2 = new byte[NoiseHandshake.RESPONSE_FIELDS_LEN];
        SessionKeys rk = r.createResponse(q, er, m2, 0);
        SessionKeys ik = i.consumeResponse(q, m2, 0);
        assertThat(ik.sendKey()).isEqualTo(rk.receiveKey());
        assertThat(ik.receiveKey()).isEqualTo(rk.sendKey());
        assertThat(ik.sendKey()).isNotEqualTo(ik.receiveKey());

        TransportCipher c = new TransportCipher();
        ByteBuffer sealed = ByteBuffer.allocate(64);
        c.seal(TransportCipher.key(ik.sendKey()), 7, ByteBuffer.wrap(timestamp), 4, sealed);
        sealed.flip();
        ByteBuffer opened = ByteBuffer.allocate(64);
        assertThat(c.open(TransportCipher.key(rk.receiveKey()), 7, sealed, opened)).isEqualTo(16);
    }
}
