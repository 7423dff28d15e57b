package dev.gridmesh.relay.server;

import dev.gridmesh.crypto.NodePublicKey;
import dev.gridmesh.protocol.relay.ControlMessage;
import dev.gridmesh.protocol.relay.Frames;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * The hub's peer-map changes (PeerAdded/PeerChanged/PeerRemoved) in order, each encoded once as a whole CONTROL frame
 * and numbered: the last {@code capacity} of them, in a ring. A connection keeps only its cursor (the number of the
 * next change it has to send); a cursor older than the ring's start has fallen behind and gets a full map instead.
 *
 * <pre>
 *   seq:   first() ............................ next()-1 | next()
 *   ring:  [frame][frame][frame] ... [frame][frame]       | (appended here)
 *            ^ cursor of a connection that is behind by next()-cursor changes
 * </pre>
 *
 * <p>One writer (under the hub's lock), any number of readers on any thread without a lock: an entry is immutable and
 * carries its own number, so a reader that finds a newer number in the slot it wanted knows it was overwritten.
 */
final class PeerLog {
    /** One change: its number, the node it is about (never sent to that node's own connection) and its frame. */
    record Entry(long seq, NodePublicKey subject, byte[] frame) {}

    private final AtomicReferenceArray<Entry> ring;
    private final int mask;
    private volatile long next;

    /** @param capacity changes kept, a power of two */
    PeerLog(int capacity) {
        if (capacity < 1 || Integer.bitCount(capacity) != 1) {
            throw new IllegalArgumentException("capacity " + capacity + " (expected: a power of two)");
        }
        ring = new AtomicReferenceArray<>(capacity);
        mask = capacity - 1;
    }

    /** Appends {@code m} about {@code subject}; returns its number. Single writer (the hub, under its lock). */
    long append(NodePublicKey subject, ControlMessage m) {
        Objects.requireNonNull(subject, "subject");
        long seq = next;
        ring.set((int) (seq & mask), new Entry(seq, subject, Frames.control(m)));
        next = seq + 1; // publishes the entry
        return seq;
    }

    /** The number the next change will get: a cursor equal to it is up to date. */
    long next() {
        return next;
    }

    /** The oldest number still held (may move on while the caller looks). */
    long first() {
        return Math.max(0, next - ring.length());
    }

    int capacity() {
        return ring.length();
    }

    /** Change {@code seq} ({@code < next()}), or null when it was overwritten: the reader fell behind. */
    Entry get(long seq) {
        Entry e = ring.get((int) (seq & mask));
        return e != null && e.seq() == seq ? e : null;
    }
}
