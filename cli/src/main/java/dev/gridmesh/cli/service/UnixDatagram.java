package dev.gridmesh.cli.service;

import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * Sends one datagram on a UNIX datagram socket ({@code socket(AF_UNIX, SOCK_DGRAM)} + {@code sendto}) through JNA
 * direct mapping: the JDK's {@code DatagramChannel} cannot open UNIX-domain datagram sockets (JEP 380 covers stream
 * sockets only), and sd_notify needs exactly that.
 *
 * <pre>
 *   struct sockaddr_un { sa_family_t sun_family (u16, host order) = AF_UNIX (1); char sun_path[108]; }
 *   path "/run/systemd/notify"  -> sun_path = bytes + NUL,        addrlen = 2 + len + 1
 *   path "@abstract"            -> sun_path = NUL + "abstract",   addrlen = 2 + len   (Linux abstract namespace)
 * </pre>
 */
public final class UnixDatagram {
    static final int AF_UNIX = 1;
    static final int SOCK_DGRAM = 2;
    static final int SOCK_CLOEXEC = 0x80000;
    static final int MSG_NOSIGNAL = 0x4000;
    static final int SUN_PATH_MAX = 108;

    static {
        Native.register(UnixDatagram.class, NativeLibrary.getInstance("c"));
    }

    private UnixDatagram() {
    }

    static native int socket(int domain, int type, int protocol);

    static native long sendto(int fd, byte[] buf, long len, int flags, byte[] addr, int addrlen);

    static native int close(int fd);

    /**
     * {@code sockaddr_un} for {@code path} ({@code @name}: abstract namespace). Returns the bytes; the address
     * length to pass is {@link #addressLength(String)}.
     */
    static byte[] sockaddr(String path) {
        Objects.requireNonNull(path, "path");
        byte[] p = path.getBytes(StandardCharsets.UTF_8);
        if (p.length == 0 || p.length >= SUN_PATH_MAX) {
            throw new IllegalArgumentException("unix socket path: " + path + " (expected: 1.." + (SUN_PATH_MAX - 1) + " bytes)");
        }
        byte[] a = new byte[2 + SUN_PATH_MAX];
        a[0] = (byte) AF_UNIX; // little-endian host (x86-64, aarch64)
        a[1] = 0;
        System.arraycopy(p, 0, a, 2, p.length);
        if (p[0] == '@') {
            a[2] = 0;
        }
        return a;
    }

    static int addressLength(String path) {
        int n = path.getBytes(StandardCharsets.UTF_8).length;
        return path.startsWith("@") ? 2 + n : 2 + n + 1;
    }

    /** Sends {@code message} as one datagram to the socket at {@code path} ({@code @name} = abstract). */
    public static void send(String path, String message) throws IOException {
        byte[] addr = sockaddr(path);
        byte[] msg = message.getBytes(StandardCharsets.UTF_8);
        int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (fd < 0) {
            throw new IOException("socket(AF_UNIX, SOCK_DGRAM): errno " + Native.getLastError());
        }
        try {
            long n = sendto(fd, msg, msg.length, MSG_NOSIGNAL, addr, addressLength(path));
            if (n < 0) {
                throw new IOException("sendto " + path + ": errno " + Native.getLastError());
            }
        } finally {
            close(fd);
        }
    }
}
