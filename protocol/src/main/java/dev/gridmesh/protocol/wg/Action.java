package dev.gridmesh.protocol.wg;

/** What the caller does with the output of {@link WgEngine#encapsulate} / {@link WgEngine#decapsulate}. */
public enum Action {
    /** Send {@code dst} as a UDP datagram to {@link PacketResult#endpoint} (or via the relay to the peer if null). */
    SEND,
    /** Write {@code dst} (an IP packet) to the TUN device. */
    WRITE_TUN,
    /** Nothing to do: consumed (keepalive, cookie reply) or staged while a handshake runs. */
    NONE,
    /** Dropped; {@link PacketResult#dropReason} says why and the engine counted it. */
    DROP
}
