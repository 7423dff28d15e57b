package dev.gridmesh.nat.portmap;

import static java.util.Objects.requireNonNull;

/**
 * The outcome of decoding bytes from a gateway: a message, or a typed reason it is not one. Decoders in this package
 * never throw on bad input.
 */
public sealed interface Decoded<M> {

    record Ok<M>(M message) implements Decoded<M> {
        public Ok {
            requireNonNull(message, "message");
        }
    }

    /** @param detail a short human-readable explanation for debug logs */
    record Err<M>(PortMapDecodeError reason, String detail) implements Decoded<M> {
        public Err {
            requireNonNull(reason, "reason");
            requireNonNull(detail, "detail");
        }
    }

    static <M> Decoded<M> ok(M message) {
        return new Ok<>(message);
    }

    static <M> Decoded<M> err(PortMapDecodeError reason, String detail) {
        return new Err<>(reason, detail);
    }
}
