package dev.gridmesh.agent.tun;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The real TUN device (root only, tagged {@code netns} with the other privileged tests). It creates an interface
 * without addresses in the test JVM's namespace for a moment, and sends no traffic.
 */
@Tag("netns")
class LinuxTunDeviceTest {
    private static String uniqueName() {
        return "gmt" + Long.toString(ProcessHandle.current().pid() % 100000, 36)
                + Integer.toString((int) (System.nanoTime() & 0xfff), 36);
    }

    private static void requireRoot() {
        boolean root = "root".equals(System.getProperty("user.name"));
        if (!root && "true".equalsIgnoreCase(System.getenv("CI"))) {
            throw new AssertionError("TUN tests need root; CI=true must not skip them");
        }
        Assumptions.assumeTrue(root, "TUN tests need root (CAP_NET_ADMIN)");
    }

    @Test
    void closeUnblocksAReaderAndRemovesTheInterface() throws Exception {
        requireRoot();
        String name = uniqueName();
        LinuxTunDevice tun = LinuxTunDevice.open(name);
        try {
            assertThat(tun.name()).isEqualTo(name);
            assertThat(Path.of("/sys/class/net", name)).exists();
            PacketBatch batch = new PacketBatch(4, 2048);
            CompletableFuture<Integer> reader = CompletableFuture.supplyAsync(() -> {
                try {
                    return tun.read(batch); // nothing arrives: the link is down and has no address
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            assertThat(reader).isNotDone();
            tun.close();
            assertThat(reader.get(5, TimeUnit.SECONDS)).isEqualTo(-1);
            assertThat(Path.of("/sys/class/net", name)).doesNotExist();
            assertThat(tun.read(batch)).isEqualTo(-1);
        } finally {
            tun.close();
        }
    }

    @Test
    void opensWithOffloadsUnlessAskedNotTo() throws Exception {
        requireRoot();
        String name = uniqueName();
        try (LinuxTunDevice tun = LinuxTunDevice.open(name, true)) {
            // kernels since 2.6.27 take IFF_VNET_HDR + TUNSETOFFLOAD(CSUM|TSO4|TSO6); a refusal would fall back
            assertThat(tun.offloads()).isTrue();
            assertThat(tun.counters()).containsEntry("GSO_FRAMES_READ", 0L).doesNotContainKey("OFFLOAD_REFUSED");
            assertThat(Files.readString(Path.of("/sys/class/net", name, "tun_flags")).trim())
                    .isEqualTo("0x5001"); // IFF_TUN | IFF_NO_PI | IFF_VNET_HDR
        }
        try (LinuxTunDevice tun = LinuxTunDevice.open(name, false)) {
            assertThat(tun.offloads()).isFalse();
            assertThat(tun.counters()).isEmpty();
            assertThat(Files.readString(Path.of("/sys/class/net", name, "tun_flags")).trim()).isEqualTo("0x1001");
        }
    }

    @Test
    void secondOpenOfTheSameNameIsBusy() throws Exception {
        requireRoot();
        String name = uniqueName();
        try (LinuxTunDevice tun = LinuxTunDevice.open(name)) {
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> LinuxTunDevice.open(name))
                    .isInstanceOf(TunException.class).hasMessageContaining("creating TUN " + name + ": ")
                    .hasMessageContaining("EBUSY");
        }
    }

    @Test
    void withoutCapNetAdminTheErrorNamesThePrivilege() throws Exception {
        requireRoot();
        Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/setpriv")), "needs setpriv (util-linux)");
        String name = uniqueName();
        Process p = new ProcessBuilder(List.of("/usr/bin/setpriv", "--bounding-set=-net_admin",
                "--inh-caps=-net_admin", Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-cp",
                System.getProperty("surefire.test.class.path", System.getProperty("java.class.path")),
                TunOpenMain.class.getName(), name)).redirectErrorStream(true).start();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(out).contains("ERROR creating TUN " + name
                + " needs CAP_NET_ADMIN (run as root or grant the capability)");
    }
}
