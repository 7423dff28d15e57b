package dev.gridmesh.agent.tun;

import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;

/**
 * The few libc calls the TUN device needs, bound with JNA direct mapping ({@link Native#register}): no
 * per-call reflection or argument boxing. Pointers are passed as {@code long} addresses (x86-64 / aarch64 LP64),
 * so the hot path allocates nothing. {@code errno} is read back with {@link Native#getLastError()}.
 */
final class LibC {
    static final int O_RDWR = 2;
    static final int O_NONBLOCK = 0x800;
    static final int O_CLOEXEC = 0x80000;
    static final int EFD_NONBLOCK = 0x800;
    static final int EFD_CLOEXEC = 0x80000;

    static final int EPERM = 1;
    static final int ENOENT = 2;
    static final int EINTR = 4;
    static final int EIO = 5;
    static final int EBADF = 9;
    static final int EAGAIN = 11;
    static final int EACCES = 13;
    static final int EBUSY = 16;
    static final int ENODEV = 19;
    static final int EINVAL = 22;
    static final int EMSGSIZE = 90;

    static final short POLLIN = 0x1;

    /** {@code _IOW('T', 202, int)}. */
    static final long TUNSETIFF = 0x400454caL;
    static final short IFF_TUN = 0x0001;
    static final short IFF_NO_PI = 0x1000;
    /** Every read and write starts with a {@code struct virtio_net_hdr}. */
    static final short IFF_VNET_HDR = 0x4000;
    /** {@code _IOW('T', 208, unsigned int)}: which offloads the kernel may hand us. */
    static final long TUNSETOFFLOAD = 0x400454d0L;
    static final int TUN_F_CSUM = 0x01;
    static final int TUN_F_TSO4 = 0x02;
    static final int TUN_F_TSO6 = 0x04;
    /** {@code sizeof(struct ifreq)} on Linux. */
    static final int IFREQ_SIZE = 40;
    static final int IFNAMSIZ = 16;

    static {
        Native.register(LibC.class, NativeLibrary.getInstance("c"));
    }

    private LibC() {
    }

    static native int open(String path, int flags);

    static native int ioctl(int fd, long request, byte[] ifreq);

    static native int ioctl(int fd, long request, long arg);

    static native long read(int fd, long buf, long count);

    static native long writev(int fd, long iov, int iovcnt);

    static native long write(int fd, long buf, long count);

    static native int close(int fd);

    static native int poll(long fds, long nfds, int timeoutMillis);

    static native int eventfd(int initval, int flags);

    static native String strerror(int errnum);

    static int errno() {
        return Native.getLastError();
    }
}
