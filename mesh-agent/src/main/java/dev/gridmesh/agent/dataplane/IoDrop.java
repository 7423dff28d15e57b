package dev.gridmesh.agent.dataplane;

/** Packets the I/O layer around the engine dropped (the engine counts its own in {@code DropReason}). */
public enum IoDrop {
    /** The engine produced a datagram for a peer with no endpoint and no {@link PeerSender}. */
    NO_ENDPOINT,
    /** A datagram on the UDP socket that is neither WireGuard nor claimed by the non-WireGuard hook. */
    NOT_WIREGUARD,
    /** The kernel refused a packet written to TUN (link down, not an IP packet). */
    TUN_WRITE_FAILED,
    /** The UDP send queue stayed full: the inside thread dropped the batch rather than grow memory. */
    UDP_QUEUE_FULL,
    /** The UDP socket reported a send error. */
    UDP_SEND_FAILED,
    /** A datagram larger than the receive buffer (a peer with a much larger MTU). */
    UDP_DATAGRAM_TOO_BIG,
    /** A bug: the engine or a hook threw on this packet. Logged at the 1st, 2nd, 4th, 8th... occurrence. */
    INTERNAL_ERROR,
    /** An IP packet from TUN larger than the read buffer (the MTU was raised under us). */
    TUN_PACKET_TOO_BIG,
    /** More relayed datagrams waiting for the event loop than {@code DataPlane.RELAYED_QUEUE}: the newest dropped. */
    RELAYED_QUEUE_FULL
}
