package dev.gridmesh.nat.portmap;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The UPnP HTTP edge against a hostile IGD on loopback: oversized and never-ending answers stay bounded. */
class UpnpIgdClientTest {
    private static final InetAddress LO = InetAddress.getLoopbackAddress();
    private HttpServer server;
    private final CountDownLatch release = new CountDownLatch(1);

    @BeforeEach
    void start() throws Exception {
        server = HttpServer.create(new InetSocketAddress(LO, 0), 4);
        server.createContext("/huge", ex -> {
            ex.sendResponseHeaders(200, 0);
            try (OutputStream out = ex.getResponseBody()) {
                byte[] chunk = new byte[64 * 1024];
                for (int i = 0; i < 64; i++) { // 4 MiB, bounded
                    out.write(chunk);
                }
            } catch (java.io.IOException clientGaveUp) {
                // expected: the client stops reading
            }
        });
        server.createContext("/drip", ex -> {
            ex.sendResponseHeaders(200, 0);
            ex.getResponseBody().write("<s:Envelope".getBytes());
            ex.getResponseBody().flush();
            try {
                release.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            ex.close();
        });
        server.start();
    }

    @AfterEach
    void stop() {
        release.countDown();
        server.stop(0);
    }

    private IgdDescription.Service service(String path) {
        return new IgdDescription.Service("urn:schemas-upnp-org:service:WANIPConnection:2",
                URI.create("http://127.0.0.1:" + server.getAddress().getPort() + path));
    }

    @Test
    void oversizedAnswerIsRefused() throws Exception {
        UpnpIgdClient c = new UpnpIgdClient(LO, LO, PortMapperOptions.defaults());
        assertThat(c.call(service("/huge"), "GetExternalIPAddress", Map.of())).isEmpty();
        assertThat(c.dropCounts()).containsEntry("soap_io", 1L);
    }

    @Test
    void answerThatNeverEndsIsCutAtTheTimeout() throws Exception {
        PortMapperOptions o = new PortMapperOptions(Duration.ofHours(2), Duration.ofMillis(50), 3,
                Duration.ofMillis(300), 5351, 1900, false, "t", java.util.EnumSet.allOf(PortMapProtocol.class));
        UpnpIgdClient c = new UpnpIgdClient(LO, LO, o);
        long t0 = System.nanoTime();
        assertThat(c.call(service("/drip"), "GetExternalIPAddress", Map.of())).isEmpty();
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(3));
        assertThat(c.dropCounts()).containsEntry("soap_io", 1L);
    }
}
