package dev.gridmesh.testsupport.natlab;

/** Why the in-memory network dropped a datagram; {@link Network#drops()} counts each. */
public enum DropReason {
    /** No host or NAT owns the destination address. */
    NO_ROUTE,
    /** The destination host has no socket on that port. */
    NO_SOCKET,
    /** A NAT got an inbound packet for a port with no live mapping. */
    NAT_NO_MAPPING,
    /** A mapping exists but its filtering refused the source. */
    NAT_FILTERED,
    /** A packet from inside to the NAT's own public address, with hairpinning off. */
    HAIRPIN_DISABLED,
    /** A NAT or host blocks UDP. */
    UDP_BLOCKED,
    /** A NAT ran out of external ports. */
    NAT_PORTS_EXHAUSTED,
    /** The receiving socket's queue was full. */
    RECEIVE_QUEUE_FULL,
    /** Dropped by {@link Network#setLossFilter}. */
    LOSS
}
