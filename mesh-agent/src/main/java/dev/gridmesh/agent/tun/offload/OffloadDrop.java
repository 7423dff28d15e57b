package dev.gridmesh.agent.tun.offload;

/** Frames and packets the offload layer dropped, by reason (counted, never thrown out of the packet loops). */
public enum OffloadDrop {
    /** A frame from the kernel shorter than its virtio_net_hdr, or a header whose fields do not fit the packet. */
    BAD_VNET_HDR,
    /** A GSO type other than TCPv4/TCPv6 (we never enable UFO/USO/ECN offloads, so the kernel should not send it). */
    UNSUPPORTED_GSO,
    /** A GSO super-packet whose IP/TCP headers are malformed or disagree with the virtio_net_hdr. */
    MALFORMED_PACKET,
    /** A packet (or one segment of a super-packet) larger than the per-packet buffer. */
    PACKET_TOO_BIG
}
