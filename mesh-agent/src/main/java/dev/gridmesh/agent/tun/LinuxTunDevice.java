package dev.gridmesh.agent.tun;

import com.sun.jna.Native;
import com.sun.jna.Pointer;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.ClosedChannelException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A Linux TUN device ({@code IFF_TUN | IFF_NO_PI}) opened through {@code /dev/net/tun}. The fd is non-blocking:
 * {@link #read} drains every ready packet into the batch and only then waits in {@code poll(2)} on the TUN fd and
 * an eventfd, which {@link #close()} signals. close() waits for the reader and writers to leave before it closes the
 * fd, so a racing read can never land on a reused descriptor. Closing the fd removes the interface (it is not
 * persistent), along with its addresses and routes.
 */
public final class LinuxTunDevice implements TunDevice {
    private static final Path CLONE_DEVICE = Path.of("/dev/net/tun");

    private final String name;
    private final int fd;
    private final int wakeFd;
    /** Two {@code struct pollfd}: the TUN fd and the eventfd, both POLLIN. */
    private final ByteBuffer pollFds;
    private final long pollFdsAddress;
    private final ByteBuffer wakeValue;
    private final long wakeValueAddress;
    private final ReentrantLock readLock = new ReentrantLock();
    private final ReentrantLock writeLock = new ReentrantLock();
    private final AtomicBoolean closed = new AtomicBoolean();
    /** One-entry cache of the last written buffer's base address (guarded by writeLock). */
    private ByteBuffer lastWriteBuffer;
    private long lastWriteAddress;

    private LinuxTunDevice(String name, int fd, int wakeFd) {
        this.name = name;
        this.fd = fd;
        this.wakeFd = wakeFd;
        this.pollFds = ByteBuffer.allocateDirect(16).order(ByteOrder.nativeOrder());
        pollFds.putInt(0, fd).putShort(4, LibC.POLLIN).putInt(8, wakeFd).putShort(12, LibC.POLLIN);
        this.pollFdsAddress = address(pollFds);
        this.wakeValue = ByteBuffer.allocateDirect(8).order(ByteOrder.nativeOrder());
        wakeValue.putLong(0, 1);
        this.wakeValueAddress = address(wakeValue);
    }

    /**
     * Creates (or attaches to) the TUN interface {@code name}. The interface comes up without addresses and down;
     * see {@code dev.gridmesh.agent.route} for configuring it.
     *
     * @throws TunException naming the missing privilege, the missing module, or a name clash
     */
    public static LinuxTunDevice open(String name) throws TunException {
        validateName(name);
        int fd = LibC.open(CLONE_DEVICE.toString(), LibC.O_RDWR | LibC.O_NONBLOCK | LibC.O_CLOEXEC);
        if (fd < 0) {
            int e = LibC.errno();
            throw switch (e) {
                case LibC.ENOENT, LibC.ENODEV -> new TunException(
                        CLONE_DEVICE + " does not exist: load the tun module (modprobe tun)"
                                + (Files.exists(CLONE_DEVICE) ? "" : " or create the node (mknod /dev/net/tun c 10 200)"));
                case LibC.EPERM, LibC.EACCES -> needsCapability(name);
                default -> new TunException("creating TUN " + name + ": open " + CLONE_DEVICE + ": " + strerror(e));
            };
        }
        byte[] ifreq = new byte[LibC.IFREQ_SIZE];
        byte[] n = name.getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(n, 0, ifreq, 0, n.length);
        short flags = (short) (LibC.IFF_TUN | LibC.IFF_NO_PI);
        ByteBuffer.wrap(ifreq).order(ByteOrder.nativeOrder()).putShort(LibC.IFNAMSIZ, flags);
        if (LibC.ioctl(fd, LibC.TUNSETIFF, ifreq) < 0) {
            int e = LibC.errno();
            LibC.close(fd);
            throw switch (e) {
                case LibC.EPERM, LibC.EACCES -> needsCapability(name);
                case LibC.EBUSY -> new TunException("creating TUN " + name
                        + ": the name is in use by another open TUN device (EBUSY)");
                case LibC.EINVAL -> new TunException("creating TUN " + name
                        + ": an interface of another type already has this name, or the name is invalid (EINVAL)");
                default -> new TunException("creating TUN " + name + ": ioctl TUNSETIFF: " + strerror(e));
            };
        }
        int end = 0;
        while (end < LibC.IFNAMSIZ && ifreq[end] != 0) {
            end++;
        }
        String actual = new String(ifreq, 0, end, StandardCharsets.US_ASCII);
        int wake = LibC.eventfd(0, LibC.EFD_NONBLOCK | LibC.EFD_CLOEXEC);
        if (wake < 0) {
            int e = LibC.errno();
            LibC.close(fd);
            throw new TunException("creating TUN " + name + ": eventfd: " + strerror(e));
        }
        return new LinuxTunDevice(actual, fd, wake);
    }

    /** Whether a TUN device could be opened here at all (the clone device exists). */
    public static boolean cloneDeviceExists() {
        return Files.exists(CLONE_DEVICE);
    }

    private static TunException needsCapability(String name) {
        return new TunException("creating TUN " + name
                + " needs CAP_NET_ADMIN (run as root or grant the capability)");
    }

    static void validateName(String name) throws TunException {
        Objects.requireNonNull(name, "name");
        if (name.isEmpty() || name.length() >= LibC.IFNAMSIZ || name.equals(".") || name.equals("..")
                || !name.chars().allMatch(c -> c > ' ' && c < 127 && c != '/' && c != ':')) {
            throw new TunException("interface name '" + name
                    + "' (expected: 1-15 printable ASCII characters without '/', ':' or spaces)");
        }
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public int read(PacketBatch batch) throws IOException {
        readLock.lock();
        try {
            int capacity = batch.capacity();
            int size = batch.bufferSize();
            while (true) {
                if (closed.get()) {
                    batch.setCount(0);
                    return -1;
                }
                int n = 0;
                while (n < capacity) {
                    long r = LibC.read(fd, batch.address(n), size);
                    if (r > 0) {
                        batch.get(n).clear().limit((int) r);
                        n++;
                        continue;
                    }
                    if (r == 0) {
                        continue; // never for TUN; do not spin on it either way
                    }
                    int e = LibC.errno();
                    if (e == LibC.EAGAIN) {
                        break;
                    }
                    if (e == LibC.EINTR) {
                        continue;
                    }
                    if (closed.get()) {
                        batch.setCount(0);
                        return -1;
                    }
                    throw new IOException("read from TUN " + name + ": " + strerror(e));
                }
                if (n > 0) {
                    batch.setCount(n);
                    return n;
                }
                if (LibC.poll(pollFdsAddress, 2, -1) < 0) {
                    int e = LibC.errno();
                    if (e != LibC.EINTR) {
                        throw new IOException("poll on TUN " + name + ": " + strerror(e));
                    }
                }
            }
        } finally {
            readLock.unlock();
        }
    }

    @Override
    public boolean write(ByteBuffer packet) throws IOException {
        writeLock.lock();
        try {
            if (closed.get()) {
                throw new ClosedChannelException();
            }
            long base;
            if (packet == lastWriteBuffer) {
                base = lastWriteAddress;
            } else {
                if (!packet.isDirect()) {
                    throw new IllegalArgumentException("TUN writes need a direct buffer");
                }
                base = address(packet);
                lastWriteBuffer = packet;
                lastWriteAddress = base;
            }
            int len = packet.remaining();
            while (true) {
                long r = LibC.write(fd, base + packet.position(), len);
                if (r >= 0) {
                    return r == len;
                }
                int e = LibC.errno();
                if (e == LibC.EINTR) {
                    continue;
                }
                if (e == LibC.EBADF || e == 77 /* EBADFD: interface deleted under us */) {
                    throw new IOException("write to TUN " + name + ": " + strerror(e));
                }
                return false; // EIO (link down), EINVAL (not an IP packet), EAGAIN, ENOBUFS...
            }
        } finally {
            writeLock.unlock();
        }
    }

    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        LibC.write(wakeFd, wakeValueAddress, 8);
        readLock.lock();
        writeLock.lock();
        try {
            LibC.close(fd);
            LibC.close(wakeFd);
        } finally {
            writeLock.unlock();
            readLock.unlock();
        }
    }

    @Override
    public String toString() {
        return "tun:" + name;
    }

    private static long address(ByteBuffer direct) {
        return Pointer.nativeValue(Native.getDirectBufferPointer(direct));
    }

    private static String strerror(int e) {
        String s = LibC.strerror(e);
        return (s == null ? "error" : s) + " (errno " + e + ")";
    }
}
