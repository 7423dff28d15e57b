package dev.gridmesh.agent.mesh;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gridmesh.agent.control.ConnectionState;
import dev.gridmesh.agent.control.ControlConfig;
import dev.gridmesh.agent.control.RelayTrust;
import dev.gridmesh.agent.control.StateDir;
import dev.gridmesh.agent.dataplane.DataPlaneOptions;
import dev.gridmesh.agent.localapi.LocalApiClient;
import dev.gridmesh.agent.tun.FakeTun;
import dev.gridmesh.agent.tun.IpPackets;
import dev.gridmesh.protocol.relay.ControlMessage;
import dev.gridmesh.relay.server.RelayConfig;
import dev.gridmesh.relay.server.RelayServer;
import dev.gridmesh.relay.tls.RelayCertificate;
import com.fasterxml.jackson.databind.JsonNode;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two mesh agents on fake TUNs and a real relay on loopback (no root): registration with a token, key kept 0600,
 * peer maps, WireGuard through the relay both ways, a relay restart that the WireGuard session survives, refusals.
 * <pre>
 *   FakeTun A -- MeshAgent A ==TLS==+                  +==TLS== MeshAgent B -- FakeTun B
 *                                   +== RelayServer ===+            (127.0.0.1, port from the OS)
 * </pre>
 */
class MeshAgentRelayTest {
    static final Duration WAIT = Duration.ofSeconds(10);
    static final InetAddress LO = InetAddress.getLoopbackAddress();

    @TempDir Path tmp;

    static RelayServer relay(Path dir, int port) throws Exception {
        return RelayServer.start(RelayConfig.defaults(dir).withListen(new InetSocketAddress(LO, port), null),
                Clock.systemUTC());
    }

    static AgentConfig config(Path stateDir, RelayServer r, String pin, String token, String name, FakeTun tun) {
        ControlConfig c = ControlConfig.of(LO.getHostAddress(), r.tcpAddress().getPort(), new RelayTrust.Pinned(pin), name)
                .withTimeouts(Duration.ofSeconds(1), Duration.ofSeconds(3), Duration.ofSeconds(5), Duration.ofMillis(50));
        return new AgentConfig(stateDir, c, token, tun.name(), 0, DataPlaneOptions.withTun(n -> tun));
    }

    static void await(String what, BooleanSupplier cond) throws InterruptedException {
        long end = System.nanoTime() + WAIT.toNanos();
        while (!cond.getAsBoolean()) {
            if (System.nanoTime() > end) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(20); // polling a condition, bounded by WAIT
        }
    }

    static byte[] ip(ControlMessage.RegisterOk ok) {
        return ok.overlayIp().getAddress();
    }

    @Test
    void twoAgentsTalkThroughTheRelayAndSurviveItsRestart() throws Exception {
        Path relayDir = tmp.resolve("relay");
        RelayServer r = relay(relayDir, 0);
        int port = r.tcpAddress().getPort();
        String pin = r.pin();
        assertThat(pin).isEqualTo(RelayCertificate.pin(RelayCertificate.loadOrCreate(relayDir, java.time.Instant.now(), new java.security.SecureRandom()).leaf()));
        String token = r.admin().createToken(true, Duration.ofHours(1), Set.of()).token();
        FakeTun tunA = new FakeTun("fakeA");
        FakeTun tunB = new FakeTun("fakeB");
        try (MeshAgent a = MeshAgent.start(config(tmp.resolve("a"), r, pin, token, "alpha", tunA));
                MeshAgent b = MeshAgent.start(config(tmp.resolve("b"), r, pin, token, "beta", tunB))) {
            ControlMessage.RegisterOk okA = a.firstRegistration().get(WAIT.toSeconds(), TimeUnit.SECONDS);
            ControlMessage.RegisterOk okB = b.firstRegistration().get(WAIT.toSeconds(), TimeUnit.SECONDS);
            assertThat(okA.nodeName()).isEqualTo("alpha");
            assertThat(okA.prefixBits()).isEqualTo(10);
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(tmp.resolve("a").resolve(StateDir.KEY_FILE))))
                    .isEqualTo("rw-------");
            await("a sees b", () -> a.status().peers().size() == 1 && a.status().peers().getFirst().online());
            await("b sees a", () -> b.status().peers().size() == 1);

            byte[] hello = IpPackets.ipv4Udp(ip(okA), ip(okB), 1111, 2222, "via the relay".getBytes());
            tunA.inject(hello);
            assertThat(tunB.awaitWritten(WAIT)).isEqualTo(hello);
            byte[] back = IpPackets.ipv4Udp(ip(okB), ip(okA), 2222, 1111, "and back".getBytes());
            tunB.inject(back);
            assertThat(tunA.awaitWritten(WAIT)).isEqualTo(back);

            AgentStatus st = a.status();
            assertThat(st.self().connection()).isEqualTo("CONNECTED");
            assertThat(st.peers().getFirst().path()).isEqualTo("relay");
            assertThat(st.peers().getFirst().latestHandshakeEpochMillis()).isPositive();
            assertThat(st.relayPath().framesSent()).isPositive();
            JsonNode viaSocket = new LocalApiClient(StateDir.socketPath(tmp.resolve("b"))).call(MeshAgent.OP_STATUS, null);
            assertThat(viaSocket.path("self").path("overlayIp").asText()).isEqualTo(okB.overlayIp().getHostAddress());
            assertThat(viaSocket.path("peers").get(0).path("name").asText()).isEqualTo("alpha");

            RelayServer running = r;
            assertThatThrownBy(() -> MeshAgent.start(config(tmp.resolve("a"), running, pin, token, "alpha", new FakeTun("x"))))
                    .isInstanceOf(AgentException.class).hasMessageContaining("in use by another gridmesh agent");

            r.close();
            await("a notices the relay is gone", () -> a.control().state() != ConnectionState.CONNECTED);
            long regs = a.control().registrations();
            r = relay(relayDir, port);
            await("both re-register", () -> a.control().registrations() > regs && b.control().state() == ConnectionState.CONNECTED);
            assertThat(a.status().self().overlayIp()).isEqualTo(okA.overlayIp().getHostAddress());
            byte[] again = IpPackets.ipv4Udp(ip(okA), ip(okB), 1111, 2222, "after the restart".getBytes());
            long handshake = a.status().peers().getFirst().latestHandshakeEpochMillis();
            tunA.drainWritten();
            tunB.drainWritten();
            tunA.inject(again);
            assertThat(tunB.awaitWritten(WAIT)).isEqualTo(again);
            assertThat(a.status().peers().getFirst().latestHandshakeEpochMillis()).as("same WireGuard session")
                    .isEqualTo(handshake);
        } finally {
            r.close();
        }
    }

    @Test
    void aRefusedTokenIsFatalAndLeavesNoKey() throws Exception {
        try (RelayServer r = relay(tmp.resolve("relay"), 0)) {
            Path dir = tmp.resolve("a");
            try (MeshAgent a = MeshAgent.start(config(dir, r, r.pin(), "not-a-token", "alpha", new FakeTun("fakeA")))) {
                assertThatThrownBy(() -> a.firstRegistration().get(WAIT.toSeconds(), TimeUnit.SECONDS))
                        .isInstanceOf(ExecutionException.class).cause().isInstanceOf(AgentException.class)
                        .hasMessageContaining("TOKEN_INVALID");
                assertThat(a.control().state()).isEqualTo(ConnectionState.STOPPED);
            }
            assertThat(dir.resolve(StateDir.KEY_FILE)).doesNotExist();
            assertThat(r.hub().snapshot()).isEmpty();
        }
    }

    @Test
    void aWrongPinIsFatalBeforeTheFirstRegistration() throws Exception {
        try (RelayServer r = relay(tmp.resolve("relay"), 0)) {
            String token = r.admin().createToken(false, Duration.ofHours(1), Set.of()).token();
            String wrong = "sha256:" + "0".repeat(64);
            try (MeshAgent a = MeshAgent.start(config(tmp.resolve("a"), r, wrong, token, "alpha", new FakeTun("fakeA")))) {
                assertThatThrownBy(() -> a.firstRegistration().get(WAIT.toSeconds(), TimeUnit.SECONDS))
                        .cause().hasMessageContaining("does not match --pin " + wrong);
            }
            assertThat(r.hub().snapshot()).isEmpty();
        }
    }

    @Test
    void laterStartsNeedNoToken() throws Exception {
        try (RelayServer r = relay(tmp.resolve("relay"), 0)) {
            String token = r.admin().createToken(false, Duration.ofHours(1), Set.of()).token();
            Path dir = tmp.resolve("a");
            ControlMessage.RegisterOk first;
            try (MeshAgent a = MeshAgent.start(config(dir, r, r.pin(), token, "alpha", new FakeTun("fakeA")))) {
                first = a.firstRegistration().get(WAIT.toSeconds(), TimeUnit.SECONDS);
            }
            try (MeshAgent a = MeshAgent.start(config(dir, r, r.pin(), "", "alpha", new FakeTun("fakeA")))) {
                assertThat(a.firstRegistration().get(WAIT.toSeconds(), TimeUnit.SECONDS)).isEqualTo(first);
            }
        }
    }
}
