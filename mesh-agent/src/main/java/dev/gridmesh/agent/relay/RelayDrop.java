package dev.gridmesh.agent.relay;

/** Relayed datagrams the agent dropped, by reason (counted, never thrown). */
public enum RelayDrop {
    /** Outbound: no registered relay connection at the moment (connecting, or reconnecting after a loss). */
    NOT_CONNECTED,
    /** Outbound: the TLS channel is above its write high-water mark (the relay or the path is slower than we send). */
    CHANNEL_FULL,
    /** Outbound: the hand-off queue to the event loop is full. */
    QUEUE_FULL,
    /** Outbound: the datagram does not fit in one frame. */
    TOO_LARGE,
    /** Inbound: a PACKET frame shorter than a node key. */
    TOO_SHORT,
    /** Inbound: the data plane is not up yet. */
    NO_DATA_PLANE
}
