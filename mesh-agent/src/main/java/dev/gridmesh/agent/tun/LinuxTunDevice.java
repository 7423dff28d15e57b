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
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import dev.gridmesh.agent.tun.offload.Coalescer;
import dev.gridmesh.agent.tun.offload.OffloadDrop;
import dev.gridmesh.agent.tun.offload.Segmenter;
import dev.gridmesh.agent.tun.offload.VnetHeader;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Linux TUN device ({@code IFF_TUN | IFF_NO_PI}) opened through {@code /dev/net/tun}. The fd is non-blocking:
 * {@link #read} drains every ready packet into the batch and only then waits in {@code poll(2)} on the TUN fd and
 * an eventfd, which {@link #close()} signals. close() waits for the reader and writers to leave before it closes the
 * fd, so a racing read can never land on a reused descriptor. Closing the fd removes the interface (it is not
 * persistent), along with its addresses and routes.
 * <p>
 * Offloads ({@link #open(String, boolean)} with true; {@link #open(String)} unless the environment variable
 * {@code GRIDMESH_TUN_OFFLOAD} is {@code off}): the device is opened with {@code IFF_VNET_HDR}
 * and {@code TUNSETOFFLOAD(TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6)}, so the kernel hands over TCP super-packets of up
 * to 64 KiB with a partial checksum in one read; {@link #read} cuts them into MTU-sized packets
 * ({@link Segmenter}), possibly across several calls when one super-packet has more segments than the batch has
 * room for. {@link #write} prefixes an all-zero header, {@link #writeFrame} writes a coalesced GSO frame. When the
 * kernel refuses the offloads the device is reopened without them (logged once per process, counted as
 * {@code OFFLOAD_REFUSED}).
 */
public final class LinuxTunDevice implements TunDevice {
    private static final Logger log = LoggerFactory.getLogger(LinuxTunDevice.class);
    private static final Path CLONE_DEVICE = Path.of("/dev/net/tun");
    private static final AtomicBoolean refusalLogged = new AtomicBoolean();
    /** One read: a virtio_net_hdr and the largest IP packet. */
    private static final int FRAME_SIZE = VnetHeader.LENGTH + Coalescer.MAX_PACKET;

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

    // offloads (vnet != null): reader state guarded by readLock, writer state by writeLock
    private final boolean vnet;
    private final boolean offloadRefused;
    private final Segmenter segmenter;
    private final ByteBuffer frame;
    private final long frameAddress;
    /** The frame read last and how many of its packets are handed out (the rest go to the next read). */
    private int pendingCount;
    private int pendingNext;
    /** Two {@code struct iovec}: an all-zero virtio_net_hdr, then the packet. */
    private final ByteBuffer iov;
    private final long iovAddress;
    private final AtomicLong gsoFramesRead = new AtomicLong();
    private final AtomicLong gsoFramesWritten = new AtomicLong();
    private final ByteBuffer zeroHeader;

    private LinuxTunDevice(String name, int fd, int wakeFd, boolean vnet, boolean offloadRefused) {
        this.name = name;
        this.fd = fd;
        this.wakeFd = wakeFd;
        this.vnet = vnet;
        this.offloadRefused = offloadRefused;
        if (vnet) {
            segmenter = new Segmenter();
            frame = ByteBuffer.allocateDirect(FRAME_SIZE);
            frameAddress = address(frame);
            ByteBuffer zero = ByteBuffer.allocateDirect(VnetHeader.LENGTH);
            iov = ByteBuffer.allocateDirect(32).order(ByteOrder.nativeOrder());
            iov.putLong(0, address(zero)).putLong(8, VnetHeader.LENGTH);
            iovAddress = address(iov);
            // keep the zero header reachable: it is referenced from iov only by address
            this.zeroHeader = zero;
        } else {
            segmenter = null;
            frame = null;
            frameAddress = 0;
            iov = null;
            iovAddress = 0;
            this.zeroHeader = null;
        }
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
        return open(name, offloadsByDefault());
    }

    /** Offloads unless the environment says {@code GRIDMESH_TUN_OFFLOAD=off} (for A/B runs of the same build). */
    public static boolean offloadsByDefault() {
        return !"off".equalsIgnoreCase(System.getenv("GRIDMESH_TUN_OFFLOAD"));
    }

    /**
     * Like {@link #open(String)}, with TUN offloads ({@code IFF_VNET_HDR}, TSO and checksum offload) when
     * {@code offloads} and the kernel accepts them; otherwise one IP packet per read and write.
     */
    public static LinuxTunDevice open(String name, boolean offloads) throws TunException {
        if (!offloads) {
            return open(name, false, false);
        }
        LinuxTunDevice dev = open(name, true, false);
        int r = LibC.ioctl(dev.fd, LibC.TUNSETOFFLOAD, LibC.TUN_F_CSUM | LibC.TUN_F_TSO4 | LibC.TUN_F_TSO6);
        if (r == 0) {
            return dev;
        }
        int e = LibC.errno();
        dev.close(); // removes the interface: reopen it plain
        if (refusalLogged.compareAndSet(false, true)) {
            log.info("{}: the kernel refused TUN offloads (TUNSETOFFLOAD: {}); one packet per read and write",
                    name, strerror(e));
        }
        return open(name, false, true);
    }

    private static LinuxTunDevice open(String name, boolean vnet, boolean offloadRefused) throws TunException {
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
        short flags = (short) (LibC.IFF_TUN | LibC.IFF_NO_PI | (vnet ? LibC.IFF_VNET_HDR : 0));
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
        return new LinuxTunDevice(actual, fd, wake, vnet, offloadRefused);
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

    /**
     * Without offloads each read(2) lands one packet in the batch's next buffer; with offloads it reads one frame
     * (virtio_net_hdr + up to 64 KiB) into {@link #frame}, which the segmenter cuts into the batch (what does not fit
     * waits for the next call).
     */
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
                int n = vnet ? drainPending(batch, 0) : 0;
                while (n < capacity) {
                    long r = vnet ? LibC.read(fd, frameAddress, FRAME_SIZE) : LibC.read(fd, batch.address(n), size);
                    if (r > 0) {
                        n = vnet ? cutFrame(batch, n, (int) r) : placed(batch, n, (int) r);
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

    /** A plain read of {@code length} bytes landed in buffer {@code n}; returns the next free index. */
    private static int placed(PacketBatch batch, int n, int length) {
        batch.get(n).clear().limit(length);
        return n + 1;
    }

    /** A frame of {@code length} bytes landed in {@link #frame}: cut it into the batch from index {@code n}. */
    private int cutFrame(PacketBatch batch, int n, int length) {
        frame.clear().limit(length);
        pendingCount = segmenter.begin(frame, batch.bufferSize() - 1); // a full buffer reads as "too big" downstream
        pendingNext = 0;
        if (pendingCount > 1 || frame.get(1) != 0) {
            gsoFramesRead.incrementAndGet();
        }
        return drainPending(batch, n);
    }

    private int drainPending(PacketBatch batch, int n) {
        while (pendingNext < pendingCount && n < batch.capacity()) {
            segmenter.emit(pendingNext++, batch.get(n++));
        }
        return n;
    }

    @Override
    public boolean offloads() {
        return vnet;
    }

    @Override
    public boolean writeFrame(ByteBuffer frame) throws IOException {
        if (!vnet) {
            throw new UnsupportedOperationException(this + " has no offloads");
        }
        if (!frame.isDirect()) {
            throw new IllegalArgumentException("TUN writes need a direct buffer");
        }
        writeLock.lock();
        try {
            if (closed.get()) {
                throw new ClosedChannelException();
            }
            long base = address(frame) + frame.position();
            int len = frame.remaining();
            if (len > 1 && frame.get(frame.position() + 1) != 0) {
                gsoFramesWritten.incrementAndGet();
            }
            return writeRetrying(base, len, false);
        } finally {
            writeLock.unlock();
        }
    }

    @Override
    public Map<String, Long> counters() {
        Map<String, Long> m = new TreeMap<>();
        if (offloadRefused) {
            m.put("OFFLOAD_REFUSED", 1L);
        }
        if (vnet) {
            m.put("GSO_FRAMES_READ", gsoFramesRead.get());
            m.put("GSO_FRAMES_WRITTEN", gsoFramesWritten.get());
            for (OffloadDrop d : OffloadDrop.values()) {
                long v = segmenter.drops(d);
                if (v > 0) {
                    m.put(d.name(), v);
                }
            }
        }
        return m;
    }

    /** One write(2) of {@code len} bytes at {@code base}, or a writev(2) of the zero header and them. */
    private boolean writeRetrying(long base, int len, boolean withZeroHeader) throws IOException {
        if (withZeroHeader) {
            iov.putLong(16, base).putLong(24, len);
        }
        while (true) {
            long r = withZeroHeader ? LibC.writev(fd, iovAddress, 2) : LibC.write(fd, base, len);
            if (r >= 0) {
                return r == (withZeroHeader ? len + VnetHeader.LENGTH : len);
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
            return writeRetrying(base + packet.position(), packet.remaining(), vnet);
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
