package dev.gridmesh.agent.control;

import dev.gridmesh.crypto.NodePrivateKey;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * Everything an agent keeps, in one directory (default {@code /var/lib/gridmesh}, mode 0700):
 * <pre>
 *   agent.lock   held (fcntl lock) while the agent runs: a second agent on the same dir is refused
 *   node.key     the node's private key, base64 as `wg genkey` prints it, mode 0600; written atomically and only
 *                once the relay has accepted the registration (so a refused first start leaves nothing behind)
 *   agent.sock   the local API socket (`gridmesh status --state-dir DIR` talks to it)
 * </pre>
 * Opening takes the lock; {@link #close()} releases it. Several agents run on one host by giving each its own dir.
 */
public final class StateDir implements AutoCloseable {
    public static final Path DEFAULT = Path.of("/var/lib/gridmesh");
    public static final String LOCK_FILE = "agent.lock";
    public static final String KEY_FILE = "node.key";
    public static final String SOCKET_FILE = "agent.sock";
    private static final Set<PosixFilePermission> PRIVATE = PosixFilePermissions.fromString("rw-------");

    private final Path dir;
    private final FileChannel lockChannel;
    private final FileLock lock;

    private StateDir(Path dir, FileChannel lockChannel, FileLock lock) {
        this.dir = dir;
        this.lockChannel = lockChannel;
        this.lock = lock;
    }

    /** The socket path of the agent using {@code dir}, for clients (no lock taken). */
    public static Path socketPath(Path dir) {
        return dir.toAbsolutePath().resolve(SOCKET_FILE);
    }

    /**
     * Creates {@code dir} if missing (mode 0700) and takes its lock.
     *
     * @throws StateDirException when the dir cannot be made or another agent holds the lock
     */
    public static StateDir open(Path dir) throws StateDirException {
        Path d = Objects.requireNonNull(dir, "dir").toAbsolutePath();
        try {
            if (!Files.isDirectory(d)) {
                Files.createDirectories(d, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            }
        } catch (IOException e) {
            throw new StateDirException("state dir " + d + ": cannot create it: " + reason(e), e);
        }
        Path lockFile = d.resolve(LOCK_FILE);
        FileChannel ch;
        try {
            ch = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        } catch (IOException e) {
            throw new StateDirException("state dir " + d + ": cannot open " + LOCK_FILE + ": " + reason(e), e);
        }
        FileLock lock;
        try {
            lock = ch.tryLock();
        } catch (OverlappingFileLockException e) {
            lock = null;
        } catch (IOException e) {
            closeQuietly(ch);
            throw new StateDirException("state dir " + d + ": cannot lock " + LOCK_FILE + ": " + e.getMessage(), e);
        }
        if (lock == null) {
            closeQuietly(ch);
            throw new StateDirException("state dir " + d + " is in use by another gridmesh agent (" + lockFile
                    + " is locked); give each agent its own --state-dir");
        }
        try {
            ch.truncate(0);
            ch.write(ByteBuffer.wrap((ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.US_ASCII)));
        } catch (IOException e) {
            // the pid is informational only
        }
        return new StateDir(d, ch, lock);
    }

    /** An I/O failure in words: AccessDeniedException's message is only the path. */
    private static String reason(IOException e) {
        return e instanceof java.nio.file.AccessDeniedException
                ? "permission denied (the agent needs write access to its state dir: run it as root, or as the"
                        + " service user that owns the dir)"
                : e.getMessage();
    }

    public Path path() {
        return dir;
    }

    public Path socketPath() {
        return dir.resolve(SOCKET_FILE);
    }

    public Path keyFile() {
        return dir.resolve(KEY_FILE);
    }

    /** The stored node key, or empty on first start. */
    public Optional<NodePrivateKey> loadKey() throws StateDirException {
        Path f = keyFile();
        String text;
        try {
            text = Files.readString(f, StandardCharsets.US_ASCII).strip();
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new StateDirException(f + ": cannot read the node key: " + e.getMessage(), e);
        }
        try {
            Set<PosixFilePermission> perms = Files.getPosixFilePermissions(f);
            if (perms.stream().anyMatch(p -> p.name().startsWith("GROUP") || p.name().startsWith("OTHERS"))) {
                throw new StateDirException(f + ": mode " + PosixFilePermissions.toString(perms)
                        + " (expected: rw------- ; the node key must be private)");
            }
        } catch (UnsupportedOperationException | IOException e) {
            // not a POSIX file system: nothing to check
        }
        try {
            return Optional.of(NodePrivateKey.fromBase64(text));
        } catch (IllegalArgumentException e) {
            throw new StateDirException(f + ":1: node key: " + e.getMessage() + " (expected: 44 base64 characters)", e);
        }
    }

    /** Writes the node key atomically: a private temp file, fsync, rename over {@link #KEY_FILE}, fsync the dir. */
    public void storeKey(NodePrivateKey key) throws StateDirException {
        Path f = keyFile();
        Path tmp = dir.resolve(KEY_FILE + ".tmp");
        try {
            Files.deleteIfExists(tmp);
            try (FileChannel c = FileChannel.open(tmp, Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE),
                    PosixFilePermissions.asFileAttribute(PRIVATE))) {
                c.write(ByteBuffer.wrap((key.toBase64() + "\n").getBytes(StandardCharsets.US_ASCII)));
                c.force(true);
            }
            Files.setPosixFilePermissions(tmp, PRIVATE); // umask cannot widen it, but be explicit
            try {
                Files.move(tmp, f, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, f, StandardCopyOption.REPLACE_EXISTING);
            }
            try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
                d.force(true);
            } catch (IOException e) {
                // some file systems cannot fsync a directory; the rename is still atomic
            }
        } catch (IOException e) {
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException ignored) {
                // best effort
            }
            throw new StateDirException(f + ": cannot write the node key: " + e.getMessage(), e);
        }
    }

    /** Releases the lock. The lock file stays (it is harmless and keeps the last pid for diagnostics). */
    @Override
    public void close() {
        try {
            lock.release();
        } catch (IOException e) {
            // closing the channel releases it anyway
        }
        closeQuietly(lockChannel);
    }

    private static void closeQuietly(FileChannel c) {
        try {
            c.close();
        } catch (IOException ignored) {
            // nothing to do
        }
    }
}
