package dev.gridmesh.nat.demux;

/** Which protocol a datagram on the shared UDP socket belongs to. */
public enum DatagramKind {
    /** WireGuard: message type 1..4 followed by three zero reserved bytes. */
    WIREGUARD,
    /** STUN: top two bits zero, magic cookie 0x2112A442 at offset 4, header length matching the datagram. */
    STUN,
    /** gridmesh path discovery: starts with {@link DatagramDemux#DISCO_MAGIC}. */
    DISCO,
    /** None of the above: drop and count. */
    UNKNOWN
}
