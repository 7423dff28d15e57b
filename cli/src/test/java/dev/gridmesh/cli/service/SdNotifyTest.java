package dev.gridmesh.cli.service;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** sd_notify over a real UNIX datagram socket, as a file path and in the abstract namespace. */
class SdNotifyTest {
    @Test
    void readyStatusWatchdogAndStoppingReachAPathSocket(@TempDir Path dir) throws Exception {
        String path = dir.resolve("notify").toString();
        try (UnixDatagramReceiver rx = new UnixDatagramReceiver(path);
             ServiceNotifier n = ServiceNotifier.fromEnvironment(Map.of("NOTIFY_SOCKET", path,
                     "WATCHDOG_USEC", "200000"))) {
            assertThat(n.active()).isTrue();
            AtomicReference<String> state = new AtomicReference<>("starting\nup");
            n.ready(state::get);
            assertThat(rx.receive()).isEqualTo("READY=1\nSTATUS=starting up");
            assertThat(rx.receive()).isEqualTo("WATCHDOG=1");
            state.set("relay CONNECTED");
            String next = rx.receive();
            while (next.equals("WATCHDOG=1")) {
                next = rx.receive();
            }
            assertThat(next).isEqualTo("STATUS=relay CONNECTED\nWATCHDOG=1");
            n.stopping("SIGTERM");
            String last = rx.receive();
            while (last.equals("WATCHDOG=1")) {
                last = rx.receive();
            }
            assertThat(last).isEqualTo("STOPPING=1\nSTATUS=SIGTERM");
        }
    }

    @Test
    void abstractSocket() throws Exception {
        String name = "@gridmesh-test-" + ProcessHandle.current().pid() + "-" + System.nanoTime();
        try (UnixDatagramReceiver rx = new UnixDatagramReceiver(name)) {
            SdNotify sd = SdNotify.fromEnvironment(Map.of("NOTIFY_SOCKET", name)).orElseThrow();
            assertThat(sd.send("READY=1")).isTrue();
            assertThat(rx.receive()).isEqualTo("READY=1");
        }
    }

    @Test
    void noSocketMeansNothingAndWatchdogForAnotherPidIsIgnored() {
        assertThat(ServiceNotifier.fromEnvironment(Map.of()).active()).isFalse();
        assertThat(SdNotify.watchdogInterval(Map.of("WATCHDOG_USEC", "30000000"), 7)).isEqualTo(Duration.ofSeconds(30));
        assertThat(SdNotify.watchdogInterval(Map.of("WATCHDOG_USEC", "30000000", "WATCHDOG_PID", "8"), 7)).isNull();
        assertThat(SdNotify.watchdogInterval(Map.of("WATCHDOG_USEC", "x"), 7)).isNull();
    }

    @Test
    void unreachableSocketIsNotAnError(@TempDir Path dir) {
        SdNotify sd = SdNotify.fromEnvironment(Map.of("NOTIFY_SOCKET", dir.resolve("gone").toString())).orElseThrow();
        assertThat(sd.send("READY=1")).isFalse();
    }
}
