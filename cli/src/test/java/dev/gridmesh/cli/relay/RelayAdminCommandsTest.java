package dev.gridmesh.cli.relay;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gridmesh.cli.CliRun;
import dev.gridmesh.crypto.NodePrivateKey;
import dev.gridmesh.protocol.relay.ControlMessage;
import dev.gridmesh.protocol.relay.ErrorCode;
import dev.gridmesh.relay.server.RelayConfig;
import dev.gridmesh.relay.server.RelayServer;
import dev.gridmesh.testsupport.relay.RelayTestAgent;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The admin commands against a relay running in this JVM, through its admin socket. */
class RelayAdminCommandsTest {
    @TempDir Path dir;

    @Test
    void tokenNodesRemove() throws Exception {
        InetAddress lo = InetAddress.getLoopbackAddress();
        RelayConfig cfg = RelayConfig.defaults(dir).withListen(new InetSocketAddress(lo, 0), null);
        try (RelayServer r = RelayServer.start(cfg, Clock.systemUTC())) {
            String sd = dir.toString();
            CliRun t = CliRun.run("relay", "token", "create", "--state-dir", sd, "--expires", "24h", "--tag", "gpu");
            assertThat(t.exit()).as(t.err()).isZero();
            String token = t.out().strip();
            assertThat(token).startsWith("gmt_");
            assertThat(t.err()).contains("one-off").contains("tags gpu").contains("shown only now");

            try (RelayTestAgent a = RelayTestAgent.connect(r.tcpAddress(), r.pin(), Duration.ofSeconds(10))) {
                ControlMessage.RegisterOk ok = a.register(NodePrivateKey.generate(), "gpu-worker-7", token);
                CliRun nodes = CliRun.run("relay", "nodes", "--state-dir", sd);
                assertThat(nodes.exit()).isZero();
                assertThat(nodes.out().lines().toList()).hasSize(2);
                assertThat(nodes.out()).startsWith("NAME").contains("gpu-worker-7").contains(ok.overlayIp().getHostAddress())
                        .contains("online").contains("gpu");
                CliRun json = CliRun.run("relay", "nodes", "--state-dir", sd, "--json");
                assertThat(json.out()).startsWith("{\"nodes\":[{\"name\":\"gpu-worker-7\"");

                CliRun rm = CliRun.run("relay", "node", "remove", "--state-dir", sd, "gpu-worker-7");
                assertThat(rm.exit()).isZero();
                assertThat(rm.out()).contains("removed gpu-worker-7");
                assertThat(a.awaitClose().code()).isEqualTo(ErrorCode.NODE_REMOVED);
            }
            CliRun again = CliRun.run("relay", "node", "remove", "--state-dir", sd, "gpu-worker-7");
            assertThat(again.exit()).isEqualTo(1);
            assertThat(again.err()).isEqualTo("gridmesh: relay node remove: node gpu-worker-7: no such node\n");
            CliRun tokens = CliRun.run("relay", "token", "list", "--state-dir", sd);
            assertThat(tokens.out().lines().toList()).hasSize(2);
            assertThat(tokens.out()).contains("one-off").contains("gpu").doesNotContain(token);
            CliRun stats = CliRun.run("relay", "stats", "--state-dir", sd);
            assertThat(stats.out()).contains("node_removed 1");
        }
        CliRun down = CliRun.run("relay", "nodes", "--state-dir", dir.toString());
        assertThat(down.exit()).isEqualTo(1);
        assertThat(down.err()).contains("no admin socket");
    }

    @Test
    void usageErrors() {
        assertThat(CliRun.run("relay", "token", "create", "--expires", "soon").exit()).isEqualTo(2);
        assertThat(CliRun.run("relay", "node").exit()).isEqualTo(2);
    }
}
