package dev.gridmesh.nat.stun;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gridmesh.nat.stun.StunClient.BindingEvent;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Our STUN server against Debian's {@code turnutils_stunclient}, and our client against {@code turnserver
 * --stun-only} (both from package coturn), over loopback UDP.
 */
class StunRealPeerTest {
    private static final Pattern REFLEXIVE = Pattern.compile("UDP reflexive addr: ([0-9.]+):(\\d+)");

    @TempDir
    Path dir;

    @Test
    void turnutilsStunclientGetsItsReflexiveAddressFromOurServer() throws Exception {
        Path tool = ExternalTool.require("turnutils_stunclient", "coturn");
        try (StunUdpServer udp = StunUdpServer.bind(new StunServer("gridmesh-test", null),
                new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            int port = udp.localAddresses().getFirst().getPort();
            Path out = dir.resolve("stunclient.out");
            Process p = new ProcessBuilder(tool.toString(), "-p", Integer.toString(port), "127.0.0.1")
                    .redirectErrorStream(true).redirectOutput(out.toFile()).start();
            boolean exited = p.waitFor(20, TimeUnit.SECONDS);
            if (!exited) {
                ExternalTool.stop(p);
            }
            String text = Files.readString(out, StandardCharsets.UTF_8);
            assertThat(exited).as("turnutils_stunclient exited; output:%n%s", text).isTrue();
            assertThat(p.exitValue()).as("exit code; output:%n%s", text).isZero();
            Matcher m = REFLEXIVE.matcher(text);
            assertThat(m.find()).as("reflexive address in output:%n%s", text).isTrue();
            assertThat(m.group(1)).isEqualTo("127.0.0.1");
            assertThat(Integer.parseInt(m.group(2))).isBetween(1, 65535).isNotEqualTo(port);
            assertThat(udp.engine().successes()).isGreaterThanOrEqualTo(1);
            assertThat(udp.engine().dropCounts()).isEmpty();
        }
    }

    @Test
    void ourClientAgainstCoturnStunOnlyServer() throws Exception {
        Path tool = ExternalTool.require("turnserver", "coturn");
        int port = ExternalTool.freeLoopbackPort();
        Path log = dir.resolve("turnserver.log");
        Process server = new ProcessBuilder(tool.toString(), "--stun-only", "-L", "127.0.0.1", "-p", Integer.toString(port),
                "--no-cli", "-n", "--no-tls", "--no-dtls", "--pidfile", dir.resolve("turnserver.pid").toString(),
                "--log-file", "stdout")
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try (DatagramChannel ch = DatagramChannel.open(); Selector sel = Selector.open()) {
            ch.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            ch.configureBlocking(false);
            ch.register(sel, SelectionKey.OP_READ);
            // short RTO, more tries: the server needs a moment to start, and retransmission covers that
            StunClient client = new StunClient(new StunClientConfig(Duration.ofMillis(100), 10, 4, "gridmesh-test", true),
                    new SplittableRandom(11));
            InetSocketAddress target = new InetSocketAddress(InetAddress.getLoopbackAddress(), port);
            BindingEvent e = runOverRealUdp(client, ch, sel, target, Duration.ofSeconds(30));
            assertThat(e).as("turnserver log:%n%s", Files.readString(log)).isInstanceOf(BindingEvent.Success.class);
            BindingEvent.Success s = (BindingEvent.Success) e;
            assertThat(s.mapped()).isEqualTo(ch.getLocalAddress());
            assertThat(s.from()).isEqualTo(target);
            assertThat(s.responseOrigin()).isEqualTo(target); // coturn sends RFC 5780 RESPONSE-ORIGIN
        } finally {
            ExternalTool.stop(server);
        }
    }

    /** The sans-I/O client on a real socket: the edge loop the agent will have, with System.nanoTime. */
    static BindingEvent runOverRealUdp(StunClient client, DatagramChannel ch, Selector sel, InetSocketAddress server,
            Duration limit) throws Exception {
        long deadline = System.nanoTime() + limit.toNanos();
        client.startBinding(server, System.nanoTime());
        ByteBuffer buf = ByteBuffer.allocate(2048);
        while (System.nanoTime() - deadline < 0) {
            for (StunClient.Transmit t; (t = client.pollTransmit()) != null; ) {
                ch.send(ByteBuffer.wrap(t.datagram()), t.destination());
            }
            BindingEvent e = client.pollEvent();
            if (e != null) {
                return e;
            }
            long now = System.nanoTime();
            long waitMs = Math.max(1, Math.min(TimeUnit.NANOSECONDS.toMillis(client.pollTimeout() - now),
                    TimeUnit.NANOSECONDS.toMillis(deadline - now)));
            sel.select(waitMs);
            sel.selectedKeys().clear();
            for (InetSocketAddress from; (from = (InetSocketAddress) ch.receive(buf.clear())) != null; ) {
                client.handleDatagram(from, buf.flip(), System.nanoTime());
            }
            if (client.pollTimeout() - System.nanoTime() <= 0) {
                client.handleTimeout(System.nanoTime());
            }
        }
        return null;
    }
}
