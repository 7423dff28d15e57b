package dev.gridmesh.protocol.wg;

import java.nio.ByteBuffer;

/** Little-endian field access at absolute indices, without allocation. */
final class LittleEndian {
    private LittleEndian() {
    }

    static int readInt(ByteBuffer b, int index) {
        return (b.get(index) & 0xff) | (b.get(index + 1) & 0xff) << 8 | (b.get(index + 2) & 0xff) << 16
                | (b.get(index + 3) & 0xff) << 24;
    }

    static long readLong(ByteBuffer b, int index) {
        return (readInt(b, index) & 0xffffffffL) | (long) readInt(b, index + 4) << 32;
    }

    static void writeInt(byte[] b, int off, int v) {
        b[off] = (byte) v;
        b[off + 1] = (byte) (v >>> 8);
        b[off + 2] = (byte) (v >>> 16);
        b[off + 3] = (byte) (v >>> 24);
    }

    static void putInt(ByteBuffer b, int index, int v) {
        b.put(index, (byte) v);
        b.put(index + 1, (byte) (v >>> 8));
        b.put(index + 2, (byte) (v >>> 16));
        b.put(index + 3, (byte) (v >>> 24));
    }

    static void putLong(ByteBuffer b, int index, long v) {
        putInt(b, index, (int) v);
        putInt(b, index + 4, (int) (v >>> 32));
    }
}
