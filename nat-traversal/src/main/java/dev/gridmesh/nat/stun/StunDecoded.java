package dev.gridmesh.nat.stun;

import static java.util.Objects.requireNonNull;

/** The outcome of {@link StunCodec#decode}: a message, or a typed reason it is not one. Decoding never throws. */
public sealed interface StunDecoded {

    record Ok(StunMessage message) implements StunDecoded {
        public Ok {
            requireNonNull(message, "message");
        }
    }

    /** @param detail a short human-readable explanation for debug logs */
    record Err(StunDecodeError reason, String detail) implements StunDecoded {
        public Err {
            requireNonNull(reason, "reason");
            requireNonNull(detail, "detail");
        }
    }
}
