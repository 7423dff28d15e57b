package dev.gridmesh.nat.stun;

import static org.assertj.core.api.Assertions.fail;

import java.io.File;
import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;

/** Finding real peer binaries: skip with a reason when absent, except under CI=true where they must exist. */
final class ExternalTool {
    private ExternalTool() {}

    static Path require(String binary, String debianPackage) {
        String path = System.getenv().getOrDefault("PATH", "/usr/bin:/bin");
        for (String dir : path.split(File.pathSeparator)) {
            Path p = Path.of(dir, binary);
            if (Files.isExecutable(p)) {
                return p;
            }
        }
        String msg = binary + " not found on PATH (install Debian package " + debianPackage + ")";
        if ("true".equals(System.getenv("CI"))) {
            fail(msg + "; CI=true, so this real-peer test must run");
        }
        Assumptions.abort(msg + ": skipping real-peer test");
        throw new AssertionError("unreachable");
    }

    /** A port free for both UDP and TCP on loopback right now (the tool binds both). */
    static int freeLoopbackPort() throws IOException {
        InetAddress lo = InetAddress.getLoopbackAddress();
        for (int attempt = 0; attempt < 50; attempt++) {
            int port;
            try (DatagramSocket d = new DatagramSocket(0, lo)) {
                port = d.getLocalPort();
            }
            try (ServerSocket s = new ServerSocket(port, 1, lo)) {
                return s.getLocalPort();
            } catch (IOException taken) {
                // try another
            }
        }
        throw new IOException("no free loopback port after 50 attempts");
    }

    static void stop(Process p) throws InterruptedException {
        if (p == null) {
            return;
        }
        p.destroy();
        if (!p.waitFor(5, java.util.concurrent.TimeUnit.SECONDS)) {
            p.destroyForcibly().waitFor(5, java.util.concurrent.TimeUnit.SECONDS);
        }
    }
}
