package dev.gridmesh.agent.control;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gridmesh.agent.relay.RelayPath;
import dev.gridmesh.crypto.NodePrivateKey;
import dev.gridmesh.protocol.relay.ControlMessage;
import dev.gridmesh.relay.server.RelayConfig;
import dev.gridmesh.relay.server.RelayServer;
import io.netty.buffer.ByteBuf;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Several relays in {@code --server}: the client starts on the first, and when it cannot connect there it moves to
 * the next one (relays of one mesh share their registry through etcd; here a refused port and one real relay).
 */
class RelayFailoverTest {
    static final InetAddress LO = InetAddress.getLoopbackAddress();
    @TempDir Path dir;

    @Test
    void aRefusedFirstRelayFallsOverToTheNext() throws Exception {
        int dead;
        try (ServerSocket s = new ServerSocket(0, 1, LO)) {
            dead = s.getLocalPort(); // closed below: connecting there is refused
        }
        try (RelayServer r = RelayServer.start(RelayConfig.defaults(dir).withListen(new InetSocketAddress(LO, 0), null),
                Clock.systemUTC())) {
            String token = r.admin().createToken(false, null, Set.of()).token();
            ControlConfig cfg = ControlConfig.of(LO.getHostAddress(), dead, new RelayTrust.Pinned(r.pin()), "failover")
                    .withTimeouts(Duration.ofSeconds(1), Duration.ofSeconds(3), Duration.ofSeconds(5), Duration.ofMillis(20))
                    .withAlternates(List.of(new ControlConfig.Server(LO.getHostAddress(), r.tcpAddress().getPort())));
            assertThat(cfg.servers()).extracting(ControlConfig.Server::port).containsExactly(dead, r.tcpAddress().getPort());
            BlockingQueue<ControlMessage.RegisterOk> registered = new LinkedBlockingQueue<>();
            BlockingQueue<String> fatal = new LinkedBlockingQueue<>();
            ControlListener l = new ControlListener() {
                @Override public void onState(ConnectionState s, String d) { }
                @Override public boolean onRegistered(ControlMessage.RegisterOk ok) {
                    registered.add(ok);
                    return true;
                }
                @Override public void onPeers(PeerMapTracker.Change c) { }
                @Override public void onPacket(ByteBuf payload) { }
                @Override public void onFatal(String reason) { fatal.add(reason); }
            };
            try (ControlClient c = new ControlClient(cfg, NodePrivateKey.generate(), token, new RelayPath(), l)) {
                assertThat(c.relay()).isEqualTo(LO.getHostAddress() + ":" + dead);
                c.start();
                ControlMessage.RegisterOk ok = registered.poll(15, java.util.concurrent.TimeUnit.SECONDS);
                assertThat(ok).as("registered through the second relay; fatal: %s", fatal).isNotNull();
                assertThat(ok.nodeName()).isEqualTo("failover");
                assertThat(c.relay()).isEqualTo(LO.getHostAddress() + ":" + r.tcpAddress().getPort());
                assertThat(c.connects()).isGreaterThanOrEqualTo(2);
                assertThat(c.lastError()).contains("cannot connect to " + LO.getHostAddress() + ":" + dead);
            }
        }
    }

    @Test
    void serverText() {
        assertThat(new ControlConfig.Server("2001:db8::1", 8443).toString()).isEqualTo("[2001:db8::1]:8443");
        assertThat(new ControlConfig.Server("relay.example", 1).toString()).isEqualTo("relay.example:1");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> new ControlConfig.Server("h", 0))
                .hasMessageContaining("expected: HOST:PORT");
    }
}
