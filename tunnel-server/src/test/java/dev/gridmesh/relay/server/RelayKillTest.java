package dev.gridmesh.relay.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gridmesh.crypto.NodePrivateKey;
import dev.gridmesh.protocol.relay.ControlMessage;
import dev.gridmesh.testsupport.relay.RelayTestAgent;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A relay process killed with SIGKILL right after admitting a node loses nothing: the node keeps name and IP. */
class RelayKillTest {
    @TempDir Path dir;

    /** The child: a relay on loopback that prints {@code READY port pin token} and runs until killed. */
    public static void main(String[] args) throws Exception {
        RelayConfig cfg = RelayServerTest.config(Path.of(args[0])).withListen(
                new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), null);
        RelayServer r = RelayServer.start(cfg, Clock.systemUTC());
        String token = r.admin().createToken(false, null, Set.of()).token();
        System.out.println("READY " + r.tcpAddress().getPort() + " " + r.pin() + " " + token);
        System.out.flush();
        new java.util.concurrent.CountDownLatch(1).await();
    }

    @Test
    void sigkillLosesNoRegistration() throws Exception {
        String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(javaBin, "-cp", System.getProperty("java.class.path"), RelayKillTest.class.getName(),
                dir.toString()).redirectError(dir.resolve("child.err").toFile()).start();
        NodePrivateKey k = NodePrivateKey.generate();
        ControlMessage.RegisterOk ok;
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
            String line;
            do {
                line = out.readLine();
                if (line == null) {
                    throw new AssertionError("child relay exited before READY: " + java.nio.file.Files.readString(dir.resolve("child.err")));
                }
            } while (!line.startsWith("READY "));
            String[] f = line.split(" ");
            InetSocketAddress addr = new InetSocketAddress(InetAddress.getLoopbackAddress(), Integer.parseInt(f[1]));
            try (RelayTestAgent a = RelayTestAgent.connect(addr, f[2], Duration.ofSeconds(30))) {
                ok = a.register(k, "survivor", f[3]);
                a.await(ControlMessage.PeerMap.class);
            }
        } finally {
            p.destroyForcibly(); // SIGKILL: no shutdown hooks, no store close
            assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        }
        try (RelayServer r = RelayServer.start(RelayServerTest.config(dir), Clock.systemUTC());
             RelayTestAgent a = RelayTestAgent.connect(r.tcpAddress(), r.pin(), Duration.ofSeconds(30))) {
            assertThat(a.register(k, "survivor", "")).isEqualTo(ok);
        }
    }
}
