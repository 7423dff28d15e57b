package dev.gridmesh.testsupport.natlab;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;

/** A UDP datagram as the receiving socket sees it: {@code source} is after any NAT translation. */
public record Datagram(InetSocketAddress source, InetSocketAddress destination, byte[] payload) {
    public ByteBuffer buffer() {
        return ByteBuffer.wrap(payload);
    }
}
