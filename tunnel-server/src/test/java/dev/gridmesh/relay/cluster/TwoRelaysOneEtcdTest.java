package dev.gridmesh.relay.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gridmesh.crypto.NodePrivateKey;
import dev.gridmesh.protocol.relay.ControlMessage;
import dev.gridmesh.protocol.relay.ErrorCode;
import dev.gridmesh.relay.server.RelayServer;
import dev.gridmesh.testsupport.etcd.EtcdExtension;
import dev.gridmesh.testsupport.etcd.EtcdServer;
import dev.gridmesh.testsupport.relay.RelayTestAgent;
import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** Two relays in this JVM sharing one registry in a real etcd ({@code --store etcd://...}). */
@ExtendWith(EtcdExtension.class)
class TwoRelaysOneEtcdTest {
    private static final Duration T = Duration.ofSeconds(20);
    @TempDir Path dir;
    private EtcdRelays relays;

    @BeforeEach
    void relays(EtcdServer etcd) {
        relays = new EtcdRelays(etcd, dir, "relays-test");
    }

    private RelayServer relay(String name) throws Exception {
        return relays.start(name);
    }

    @Test
    void oneRegistryForBothRelays() throws Exception {
        try (RelayServer r1 = relay("r1"); RelayServer r2 = relay("r2")) {
            String once = r1.admin().createToken(false, null, java.util.Set.of("gpu")).token();
            NodePrivateKey k = NodePrivateKey.generate();
            ControlMessage.RegisterOk first;
            try (RelayTestAgent a = RelayTestAgent.connect(r1.tcpAddress(), r1.pin(), T)) {
                first = a.register(k, "worker", once);
            }
            // the node is known to the other relay: it re-authenticates there by its key alone, same name and address
            try (RelayTestAgent a = RelayTestAgent.connect(r2.tcpAddress(), r2.pin(), T)) {
                ControlMessage.RegisterOk again = a.register(k, "worker", "");
                assertThat(again.nodeName()).isEqualTo(first.nodeName());
                assertThat(again.overlayIp()).isEqualTo(first.overlayIp());
            }
            // the one-off token is used up on every relay
            try (RelayTestAgent b = RelayTestAgent.connect(r2.tcpAddress(), r2.pin(), T)) {
                b.sendRegister(NodePrivateKey.generate(), "other", once);
                assertThat(b.awaitClose().code()).isEqualTo(ErrorCode.TOKEN_USED_UP);
            }
            assertThat(r2.admin().tokens()).singleElement().satisfies(t -> assertThat(t.uses()).isEqualTo(1));
        }
    }

    @Test
    void agentsJoiningBothRelaysAtOnceGetDistinctAddresses() throws Exception {
        try (RelayServer r1 = relay("r1"); RelayServer r2 = relay("r2")) {
            String token = r1.admin().createToken(true, Duration.ofHours(1), java.util.Set.of()).token();
            int n = 16;
            ExecutorService pool = Executors.newFixedThreadPool(8);
            CountDownLatch go = new CountDownLatch(1);
            try {
                List<Future<ControlMessage.RegisterOk>> fs = new ArrayList<>();
                for (int i = 0; i < n; i++) {
                    RelayServer r = i % 2 == 0 ? r1 : r2;
                    fs.add(pool.submit(() -> {
                        go.await();
                        try (RelayTestAgent a = RelayTestAgent.connect(r.tcpAddress(), r.pin(), T)) {
                            return a.register(NodePrivateKey.generate(), "gpu", token);
                        }
                    }));
                }
                go.countDown();
                Set<InetAddress> ips = new HashSet<>();
                Set<String> names = new HashSet<>();
                for (Future<ControlMessage.RegisterOk> f : fs) {
                    ControlMessage.RegisterOk ok = f.get(60, TimeUnit.SECONDS);
                    assertThat(ips.add(ok.overlayIp())).as("address %s twice", ok.overlayIp()).isTrue();
                    assertThat(names.add(ok.nodeName())).as("name %s twice", ok.nodeName()).isTrue();
                }
                assertThat(ips).hasSize(n);
            } finally {
                pool.shutdownNow();
            }
        }
    }
}
