package dev.gridmesh.relay.server;

/**
 * One authenticated connection's place in the hub's peer-map fan-out: the number of the next {@link PeerLog} change
 * it has to be sent, or {@link #FULL_MAP} when it is due a full map first (just authenticated, or fell behind the
 * log). A few bytes per connection instead of a queue of messages. Touched only on the connection's event loop.
 */
final class PeerFeed {
    static final long FULL_MAP = -1;

    final RelaySession session;
    long cursor = FULL_MAP;
    /** The event loop's set this feed is in, and where; null / -1 until the hub starts feeding the connection. */
    LoopFeeds loop;
    int index = -1;

    PeerFeed(RelaySession session) {
        this.session = session;
    }
}
