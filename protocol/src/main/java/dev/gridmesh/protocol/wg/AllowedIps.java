package dev.gridmesh.protocol.wg;

import dev.gridmesh.protocol.net.IpPrefix;
import java.nio.ByteBuffer;

/**
 * Longest-prefix-match table from IPv4/IPv6 prefixes to values (WireGuard's cryptokey routing, whitepaper §2):
 * one binary trie per family, one node per prefix bit. Built once and then only read: the engine rebuilds a new
 * table on every peer change and publishes it through a volatile field, so lookups take no lock and allocate nothing.
 * A prefix inserted twice keeps the last value (WireGuard moves an allowed IP to the peer that claims it last).
 */
final class AllowedIps<T> {
    private static final class Node<T> {
        Node<T> zero;
        Node<T> one;
        T value;
    }

    private final Node<T> v4 = new Node<>();
    private final Node<T> v6 = new Node<>();

    void insert(IpPrefix prefix, T value) {
        byte[] addr = prefix.networkBytes();
        Node<T> n = addr.length == 4 ? v4 : v6;
        for (int i = 0; i < prefix.bits(); i++) {
            boolean bit = (addr[i >>> 3] & (0x80 >>> (i & 7))) != 0;
            Node<T> next = bit ? n.one : n.zero;
            if (next == null) {
                next = new Node<>();
                if (bit) {
                    n.one = next;
                } else {
                    n.zero = next;
                }
            }
            n = next;
        }
        n.value = value;
    }

    /** Longest match of the 4- or 16-byte address at absolute index {@code off} of {@code buf}; null if none. */
    T lookup(ByteBuffer buf, int off, int addrLen) {
        if (addrLen == 4) {
            return walk(v4, bigEndian(buf, off, 4) << 32, 0, 32);
        }
        return walk(v6, bigEndian(buf, off, 8), bigEndian(buf, off + 8, 8), 128);
    }

    /** Walks {@code bits} bits of the 128-bit key hi:lo from the most significant, remembering the last value. */
    private static <T> T walk(Node<T> root, long hi, long lo, int bits) {
        Node<T> n = root;
        T best = n.value;
        for (int i = 0; i < bits; i++) {
            long word = i < 64 ? hi << i : lo << (i - 64);
            n = word < 0 ? n.one : n.zero;
            if (n == null) {
                return best;
            }
            if (n.value != null) {
                best = n.value;
            }
        }
        return best;
    }

    private static long bigEndian(ByteBuffer b, int off, int len) {
        long v = 0;
        for (int i = 0; i < len; i++) {
            v = v << 8 | (b.get(off + i) & 0xff);
        }
        return v;
    }

    T lookup(byte[] addr) {
        return lookup(ByteBuffer.wrap(addr), 0, addr.length);
    }
}
