package dev.gridmesh.protocol.relay;

import java.io.ByteArrayOutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;

/** Writes the relay protocol's field types; callers validate sizes (records check them on construction). */
final class WireWriter {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream(64);

    WireWriter u8(int v) {
        out.write(v);
        return this;
    }

    WireWriter u16(int v) {
        out.write(v >>> 8);
        out.write(v);
        return this;
    }

    WireWriter u64(long v) {
        for (int s = 56; s >= 0; s -= 8) {
            out.write((int) (v >>> s));
        }
        return this;
    }

    WireWriter bytes(byte[] b) {
        out.writeBytes(b);
        return this;
    }

    WireWriter string(boolean u16Length, String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        if (u16Length) {
            u16(b.length);
        } else {
            u8(b.length);
        }
        return bytes(b);
    }

    WireWriter address(InetAddress a) {
        byte[] b = a.getAddress();
        return u8(b.length).bytes(b);
    }

    WireWriter endpoint(InetSocketAddress e) {
        return address(e.getAddress()).u16(e.getPort());
    }

    byte[] toByteArray() {
        return out.toByteArray();
    }
}
