package dev.gridmesh.cli.tunnel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gridmesh.agent.control.StateDir;
import dev.gridmesh.agent.localapi.LocalApiServer;
import dev.gridmesh.cli.CliException;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The mesh shortcut against a stand-in agent socket whose peer "worker" has the overlay IP 127.0.0.1 (a loopback
 * server stands in for the worker's service) and whose peer "sleepy" is offline; {@code --via} parsing and the
 * ProxyCommand line.
 */
class MeshRouteTest {
    static JsonNode status(String workerIp) throws Exception {
        return new ObjectMapper().readTree("""
                {"schemaVersion":1,"self":{"name":"laptop","overlayIp":"100.64.0.3"},
                 "peers":[{"name":"worker","overlayIp":"%s","online":true,"path":"direct"},
                          {"name":"sleepy","overlayIp":"100.64.0.9","online":false,"path":"relay"}]}""".formatted(workerIp));
    }

    @Test
    void autoUsesThePeersOverlayIpAndHalfCloseIsExact(@TempDir Path dir) throws Exception {
        JsonNode st = status("127.0.0.1");
        try (LocalApiServer api = LocalApiServer.start(StateDir.socketPath(dir), Map.of("status", p -> st));
                ServerSocket svc = new ServerSocket()) {
            svc.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            // the service reads to EOF, then answers with the byte count: only works if EOF is a half-close
            Thread server = Thread.ofVirtual().start(() -> {
                try (Socket s = svc.accept()) {
                    long n = s.getInputStream().transferTo(OutputStream.nullOutputStream());
                    s.getOutputStream().write(("got " + n).getBytes(StandardCharsets.UTF_8));
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            });
            assertThat(MeshRoute.find(dir, "worker").path()).isEqualTo("direct");
            Socket mesh = MeshRoute.open(MeshRoute.Via.AUTO, dir, "worker", svc.getLocalPort());
            assertThat(mesh).isNotNull();
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            MeshRoute.pump(mesh, new ByteArrayInputStream(new byte[300_000]), out, true);
            server.join();
            assertThat(out.toString(StandardCharsets.UTF_8)).isEqualTo("got 300000");
            assertThat(mesh.isClosed()).isTrue();
        }
    }

    @Test
    void autoFallsBackToTheRelayMeshSaysWhyInOneLine(@TempDir Path dir) throws Exception {
        // no agent at all
        assertThat(MeshRoute.open(MeshRoute.Via.AUTO, dir, "worker", 22)).isNull();
        assertThatThrownBy(() -> MeshRoute.open(MeshRoute.Via.MESH, dir, "worker", 22))
                .isInstanceOf(MeshRoute.MeshUnavailable.class).hasMessageStartingWith("no gridmesh agent at ");
        int closedPort;
        try (ServerSocket free = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = free.getLocalPort();
        }
        JsonNode st = status("127.0.0.1");
        try (LocalApiServer api = LocalApiServer.start(StateDir.socketPath(dir), Map.of("status", p -> st))) {
            assertThat(MeshRoute.open(MeshRoute.Via.RELAY, dir, "worker", closedPort)).isNull();
            // unknown peer, offline peer, nothing listening: auto -> relay; mesh -> the reason
            assertThat(MeshRoute.open(MeshRoute.Via.AUTO, dir, "ghost", 22)).isNull();
            assertThatThrownBy(() -> MeshRoute.open(MeshRoute.Via.MESH, dir, "ghost", 22))
                    .hasMessageContaining("no peer named ghost").hasMessageContaining("(peers: worker, sleepy)");
            assertThat(MeshRoute.open(MeshRoute.Via.AUTO, dir, "sleepy", 22)).isNull();
            assertThatThrownBy(() -> MeshRoute.open(MeshRoute.Via.MESH, dir, "sleepy", 22))
                    .hasMessage("peer sleepy (100.64.0.9) is offline");
            assertThat(MeshRoute.open(MeshRoute.Via.AUTO, dir, "worker", closedPort)).isNull();
            assertThatThrownBy(() -> MeshRoute.open(MeshRoute.Via.MESH, dir, "worker", closedPort))
                    .hasMessageStartingWith("cannot connect to worker at 127.0.0.1:" + closedPort + " over the mesh: ");
        }
    }

    @Test
    void viaAndStateDirReachTheProxyCommand() throws Exception {
        assertThatThrownBy(() -> MeshRoute.Via.parse("direct")).hasMessage("--via: direct (expected: auto, mesh or relay)");
        String[] vd = new String[2];
        List<String> args = List.of("--via", "relay", "--state-dir=/srv/gm", "-p", "22", "root@worker", "ls", "--via");
        assertThat(SshCommand.gridmeshOptions(args, vd)).isEqualTo(3);
        assertThat(vd).containsExactly("relay", "/srv/gm");
        assertThatThrownBy(() -> SshCommand.gridmeshOptions(List.of("--via", "x", "w"), new String[2]))
                .isInstanceOf(CliException.class).hasMessageContaining("--via: x (expected: auto, mesh or relay)");
        assertThat(SshCommand.gridmeshOptions(List.of("worker", "--via", "relay"), new String[2])).isZero();
        String line = ProxyCommandLine.get("relay", "/srv/gm");
        assertThat(line).endsWith(" dev.gridmesh.cli.Main tunnel --via relay --state-dir /srv/gm %h %p");
        assertThat(ProxyCommandLine.get()).endsWith(" dev.gridmesh.cli.Main tunnel %h %p");
    }

    @Test
    void sshFastPathRunsTheSystemSshAndRefusesBadOptionsWithExit1() {
        assertThat(SshCommand.fast(new String[] {"ssh", "--via", "direct", "worker"})).isEqualTo(1);
        assertThat(SshCommand.fast(new String[] {"ssh", "--state-dir", "/x"})).isEqualTo(1);
        assertThat(SshCommand.fast(new String[] {"ssh", "--via", "relay", "-V"})).as("ssh -V through the fast path").isZero();
    }

    @Test
    void cdsArchiveIsPerJavaAndClassPath(@TempDir Path dir) {
        Path a = ProxyCommandLine.cdsArchive("/usr/bin/java", "/opt/a.jar");
        Path b = ProxyCommandLine.cdsArchive("/usr/bin/java", "/opt/b.jar");
        if (a != null) { // null only when the cache dir cannot be made here
            assertThat(a.getFileName().toString()).matches("tunnel-[0-9a-f]{12}\\.jsa");
            assertThat(a).isNotEqualTo(b);
            assertThat(ProxyCommandLine.cdsArchive("/usr/bin/java", "/opt/a.jar")).isEqualTo(a);
        }
    }

}
