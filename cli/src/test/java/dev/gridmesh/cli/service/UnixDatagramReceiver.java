package dev.gridmesh.cli.service;

import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/** A bound UNIX datagram socket standing in for systemd's NOTIFY_SOCKET (receive with a timeout, no sleeps). */
final class UnixDatagramReceiver implements AutoCloseable {
    static {
        Native.register(UnixDatagramReceiver.class, NativeLibrary.getInstance("c"));
    }

    static native int socket(int domain, int type, int protocol);

    static native int bind(int fd, byte[] addr, int len);

    static native long recv(int fd, byte[] buf, long len, int flags);

    static native int setsockopt(int fd, int level, int name, byte[] value, int len);

    static native int close(int fd);

    private final int fd;

    UnixDatagramReceiver(String path) throws IOException {
        fd = socket(UnixDatagram.AF_UNIX, UnixDatagram.SOCK_DGRAM, 0);
        if (fd < 0 || bind(fd, UnixDatagram.sockaddr(path), UnixDatagram.addressLength(path)) != 0) {
            throw new IOException("bind " + path + ": errno " + Native.getLastError());
        }
        byte[] tv = new byte[16]; // struct timeval {10 s, 0}
        tv[0] = 10;
        setsockopt(fd, 1 /* SOL_SOCKET */, 20 /* SO_RCVTIMEO */, tv, tv.length);
    }

    /** The next datagram as text; fails after 10 s. */
    String receive() throws IOException {
        byte[] buf = new byte[4096];
        long n = recv(fd, buf, buf.length, 0);
        if (n < 0) {
            throw new IOException("recv: errno " + Native.getLastError());
        }
        return new String(buf, 0, (int) n, StandardCharsets.UTF_8);
    }

    @Override
    public void close() {
        close(fd);
    }
}
