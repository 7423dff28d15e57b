package dev.gridmesh.protocol.relay;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gridmesh.crypto.NodePrivateKey;
import dev.gridmesh.crypto.NodePublicKey;
import java.security.SecureRandom;
import org.junit.jupiter.api.Test;

class RegistrationProofTest {
    private final SecureRandom random = new SecureRandom();
    private final NodePrivateKey node = NodePrivateKey.generate(random);

    @Test
    void genuineRegistrationVerifies() {
        RegistrationProof relay = new RegistrationProof(random);
        ControlMessage.Register r = RegistrationProof.register(node, relay.hello(), "w7", "gmt_x");
        assertThat(relay.verify(r)).isTrue();
    }

    @Test
    void forgedNodeKeyFails() {
        RegistrationProof relay = new RegistrationProof(random);
        ControlMessage.Register mine = RegistrationProof.register(NodePrivateKey.generate(random), relay.hello(), "w7", "");
        // Claim the victim's public key with a proof made from another private key.
        ControlMessage.Register forged = new ControlMessage.Register(node.publicKey(), mine.proof(), "w7", "");
        assertThat(relay.verify(forged)).isFalse();
    }

    @Test
    void registrationReplayedOnAnotherConnectionFails() {
        RegistrationProof first = new RegistrationProof(random);
        ControlMessage.Register r = RegistrationProof.register(node, first.hello(), "w7", "");
        RegistrationProof second = new RegistrationProof(random);
        assertThat(second.verify(r)).isFalse();
    }

    @Test
    void tamperedHostnameOrTokenFails() {
        RegistrationProof relay = new RegistrationProof(random);
        ControlMessage.Register r = RegistrationProof.register(node, relay.hello(), "w7", "tok");
        assertThat(relay.verify(new ControlMessage.Register(r.nodeKey(), r.proof(), "w8", "tok"))).isFalse();
        assertThat(relay.verify(new ControlMessage.Register(r.nodeKey(), r.proof(), "w7", "tok2"))).isFalse();
    }

    @Test
    void lowOrderNodeKeyFails() {
        RegistrationProof relay = new RegistrationProof(random);
        ControlMessage.Register r = new ControlMessage.Register(NodePublicKey.fromBytes(new byte[32]), new byte[32], "x", "");
        assertThat(relay.verify(r)).isFalse();
    }
}
