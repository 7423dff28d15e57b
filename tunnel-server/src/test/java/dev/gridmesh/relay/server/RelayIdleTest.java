package dev.gridmesh.relay.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gridmesh.crypto.NodePrivateKey;
import dev.gridmesh.protocol.relay.ControlMessage;
import dev.gridmesh.protocol.relay.ErrorCode;
import dev.gridmesh.protocol.relay.FrameType;
import dev.gridmesh.testsupport.relay.RelayTestAgent;
import java.io.EOFException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Dead connections are noticed: pings to a quiet agent, closed after the dead interval without an answer. */
class RelayIdleTest {
    @TempDir Path dir;

    @Test
    void silentAgentIsPingedThenClosed() throws Exception {
        RelayConfig cfg = RelayServerTest.config(dir).withTimeouts(Duration.ofMillis(100), Duration.ofMillis(300),
                Duration.ofSeconds(5), Duration.ofSeconds(5));
        try (RelayServer r = RelayServer.start(cfg, Clock.systemUTC())) {
            String token = r.admin().createToken(false, null, Set.of()).token();
            try (RelayTestAgent a = RelayTestAgent.connect(r.tcpAddress(), r.pin(), RelayServerTest.T)) {
                a.register(NodePrivateKey.generate(), "quiet", token);
                int pings = 0;
                ControlMessage.Error err = null;
                try {
                    while (err == null) {
                        RelayTestAgent.Frame f = a.readFrame(); // read, never answer
                        if (f.header().type() == FrameType.CONTROL) {
                            switch (f.control()) {
                                case ControlMessage.Ping p -> pings++;
                                case ControlMessage.Error e -> err = e;
                                default -> { }
                            }
                        }
                    }
                } catch (EOFException e) {
                    // closed
                }
                assertThat(pings).isGreaterThanOrEqualTo(1);
                assertThat(err).isNotNull();
                assertThat(err.code()).isEqualTo(ErrorCode.IDLE_TIMEOUT);
            }
            assertThat(r.metrics().get(RelayCounter.IDLE_TIMEOUT)).isEqualTo(1);
        }
    }
}
