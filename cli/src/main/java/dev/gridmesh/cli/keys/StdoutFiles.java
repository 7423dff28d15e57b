package dev.gridmesh.cli.keys;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Set;

/** Warns, as {@code wg genkey} does, when a secret is about to be written to a regular file others can read. */
final class StdoutFiles {
    private StdoutFiles() {}

    static void warnIfWorldReadable(PrintWriter err) {
        Path fd1 = Path.of("/proc/self/fd/1");
        try {
            Path target = fd1.toRealPath();
            if (!Files.isRegularFile(target)) {
                return;
            }
            Set<PosixFilePermission> p = Files.getPosixFilePermissions(target);
            if (p.contains(PosixFilePermission.OTHERS_READ) || p.contains(PosixFilePermission.OTHERS_WRITE)
                    || p.contains(PosixFilePermission.OTHERS_EXECUTE)) {
                err.println("Warning: writing to world accessible file.");
                err.println("Consider setting the umask to 077 and trying again.");
                err.flush();
            }
        } catch (IOException | UnsupportedOperationException e) {
            // not Linux, or stdout is not a file we can inspect: nothing to warn about
        }
    }
}
