package dev.gridmesh.agent.localapi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LocalApiTest {
    @TempDir
    Path dir;

    private static final ShowResponse SAMPLE = new ShowResponse(
            new ShowResponse.InterfaceInfo("wg0", "HIgo9xNzJMWLKASShiTqIybxZ0U3wGLiUeJ1PKf8ykw=", 51820,
                    List.of("100.64.0.1/10"), 1420),
            List.of(new ShowResponse.PeerInfo("xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=", "198.18.0.2:51820",
                    List.of("100.64.0.2/32"), 1764355200123L, 1234, 5678, 25, false)));

    @Test
    void showRoundTripsAndSocketIs0660() throws Exception {
        Path sock = dir.resolve("run/gridmesh/wg0.sock");
        try (LocalApiServer server = LocalApiServer.start(sock, Map.of(LocalApiProtocol.OP_SHOW, params -> SAMPLE))) {
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(sock))).isEqualTo("rw-rw----");
            ShowResponse got = new LocalApiClient(sock).show();
            assertThat(got).isEqualTo(SAMPLE);
        }
        assertThat(sock).doesNotExist();
    }

    @Test
    void wireFormatUsesDocumentedNames() throws Exception {
        Path sock = dir.resolve("a.sock");
        try (LocalApiServer server = LocalApiServer.start(sock, Map.of(LocalApiProtocol.OP_SHOW, params -> SAMPLE))) {
            JsonNode r = new LocalApiClient(sock).call("show", null);
            assertThat(r.path("interface").path("listenPort").asInt()).isEqualTo(51820);
            assertThat(r.path("peers").get(0).path("latestHandshakeEpochMillis").asLong()).isEqualTo(1764355200123L);
            assertThat(r.path("peers").get(0).path("presharedKey").asBoolean(true)).isFalse();
            assertThat(server.dispatch("{\"op\":\"show\"}").toString()).startsWith("{\"ok\":true,\"result\":"
                    + "{\"interface\":{\"name\":\"wg0\"");
        }
    }

    @Test
    void errorsComeBackAsMessages() throws Exception {
        Path sock = dir.resolve("b.sock");
        try (LocalApiServer server = LocalApiServer.start(sock, Map.of("show", params -> {
            throw new LocalApiException("interface is going down");
        }))) {
            LocalApiClient c = new LocalApiClient(sock);
            assertThatThrownBy(c::show).isInstanceOf(LocalApiException.class).hasMessage("interface is going down");
            assertThatThrownBy(() -> c.call("frobnicate", null)).hasMessage(
                    "unknown op \"frobnicate\" (expected one of: show)");
            assertThat(server.dispatch("not json").path("error").asText()).startsWith("request is not JSON");
            assertThat(server.dispatch("[1]").path("error").asText()).isEqualTo("request needs a string field \"op\"");
        }
    }

    @Test
    void staleSocketIsReplaced() throws Exception {
        Path sock = dir.resolve("stale.sock");
        ServerSocketChannel old = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        old.bind(UnixDomainSocketAddress.of(sock));
        old.close(); // the file stays behind, nobody listens: like a crashed agent
        assertThat(sock).exists();
        try (LocalApiServer server = LocalApiServer.start(sock, Map.of("show", params -> SAMPLE))) {
            assertThat(new LocalApiClient(sock).show().iface().name()).isEqualTo("wg0");
        }
    }

    @Test
    void refusesWhenSomeoneListens() throws Exception {
        Path sock = dir.resolve("busy.sock");
        try (LocalApiServer first = LocalApiServer.start(sock, Map.of("show", params -> SAMPLE))) {
            assertThatThrownBy(() -> LocalApiServer.start(sock, Map.of())).isInstanceOf(LocalApiException.class)
                    .hasMessageContaining("another process is already listening on it");
            assertThat(new LocalApiClient(sock).show()).isEqualTo(SAMPLE); // first still serves
        }
    }

    @Test
    void refusesARegularFile() throws Exception {
        Path f = dir.resolve("file.sock");
        Files.writeString(f, "x");
        assertThatThrownBy(() -> LocalApiServer.start(f, Map.of())).hasMessageContaining("is not a socket");
    }

    @Test
    void clientExplainsMissingAgent() {
        Path sock = dir.resolve("nobody.sock");
        assertThatThrownBy(() -> new LocalApiClient(sock).show()).isInstanceOf(LocalApiException.class)
                .hasMessage("no gridmesh agent at " + sock + " (is the interface up?)");
    }

    @Test
    void severalExchangesOnOneConnection() throws Exception {
        Path sock = dir.resolve("multi.sock");
        try (LocalApiServer server = LocalApiServer.start(sock, Map.of("show", params -> SAMPLE));
                var ch = java.nio.channels.SocketChannel.open(UnixDomainSocketAddress.of(sock))) {
            var out = java.nio.channels.Channels.newOutputStream(ch);
            var in = new java.io.BufferedInputStream(java.nio.channels.Channels.newInputStream(ch));
            out.write("{\"op\":\"show\"}\n{\"op\":\"nope\"}\n".getBytes());
            assertThat(JsonLines.readLine(in)).startsWith("{\"ok\":true");
            assertThat(JsonLines.readLine(in)).startsWith("{\"ok\":false");
        }
    }
}
