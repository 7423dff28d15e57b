package dev.gridmesh.cli.tunnel;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The tunnel helper's line protocol against a relay in this JVM and a stand-in agent ({@link HelperFixture}): the
 * secret, garbage, the refusal reasons, exact half-close both ways, idle exit, its file, and stop by login/logout.
 */
class TunnelHelperTest extends HelperFixture {
    @Test
    void fileIsPrivateAndASecondHelperDefers() throws Exception {
        try (TunnelHelper h = start(60_000)) {
            Path f = config.resolve(TunnelHelper.FILE);
            assertThat(Files.getPosixFilePermissions(f)).isEqualTo(PosixFilePermissions.fromString("rw-------"));
            assertThat(Files.readString(f)).isEqualTo("GMT1 " + h.port() + " " + h.secret() + " " + ProcessHandle.current().pid() + "\n");
            assertThat(h.secret()).matches("[0-9a-f]{64}");
            assertThat(TunnelHelper.start(config, TimeUnit.SECONDS.toNanos(60), log)).as("the lock is held").isNull();
            assertThat(TunnelHelper.running(config)).isTrue();
            // a file naming a port where something else listens (a dead helper's port, taken since): not running
            try (java.net.ServerSocket other = new java.net.ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
                Path elsewhere = Files.createDirectories(dir.resolve("elsewhere"));
                Files.writeString(elsewhere.resolve(TunnelHelper.FILE), "GMT1 " + other.getLocalPort() + " " + h.secret() + " 1\n");
                Thread.ofVirtual().start(() -> {
                    try (Socket s = other.accept()) {
                        s.getOutputStream().write("HTTP/1.0 400 no\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                    } catch (IOException ignored) {
                        // the test ends
                    }
                });
                assertThat(TunnelHelper.running(elsewhere)).isFalse();
            }
        }
        assertThat(config.resolve(TunnelHelper.FILE)).doesNotExist();
        assertThat(TunnelHelper.running(config)).isFalse();
    }

    @Test
    void wrongSecretAndGarbageAreRefusedCountedAndLoggedWhileOthersAreServed() throws Exception {
        try (TunnelHelper h = start(60_000)) {
            Conn wrong = Conn.open(h.port(), "GMT1 " + "0".repeat(64) + " tunnel auto worker 22\n");
            assertThat(wrong.answer()).isEqualTo("ERR refused: wrong secret");
            assertThat(Conn.readLine(wrong.s().getInputStream())).as("closed").isNull();
            // garbage: binary, an endless line, a line without the protocol word, a half line then EOF
            byte[] junk = new byte[4096];
            new Random(7).nextBytes(junk);
            try (Socket s = new Socket(InetAddress.getLoopbackAddress(), h.port())) {
                s.setSoTimeout(10_000);
                s.getOutputStream().write(junk);
                assertClosed(s);
            }
            try (Socket s = new Socket(InetAddress.getLoopbackAddress(), h.port())) {
                s.setSoTimeout(10_000);
                s.getOutputStream().write("A".repeat(5000).getBytes(StandardCharsets.US_ASCII));
                assertClosed(s);
            }
            assertThat(Conn.open(h.port(), "HELLO\n").answer()).isNull();
            try (Socket s = new Socket(InetAddress.getLoopbackAddress(), h.port())) {
                s.getOutputStream().write("GMT1 ".getBytes(StandardCharsets.US_ASCII));
                s.shutdownOutput();
                s.setSoTimeout(10_000);
                assertThat(s.getInputStream().read()).isEqualTo(-1);
            }
            assertThat(Conn.open(h.port(), "GMT1 " + h.secret() + " frobnicate\n").answer()).isEqualTo("ERR unknown command frobnicate");
            assertThat(Conn.open(h.port(), "GMT1 " + h.secret() + " status 99\n").answer()).isEqualTo("ERR no stream 99");
            assertThat(Conn.open(h.port(), "GMT1 " + h.secret() + " tunnel auto worker\n").answer()).startsWith("ERR bad request");
            TunnelHelper.Counters c = h.counters();
            assertThat(c.refusedSecret()).isEqualTo(1);
            assertThat(c.garbage()).isEqualTo(7);
            assertThat(logBytes.toString(StandardCharsets.UTF_8)).contains("wrong secret (total refused 1)")
                    .contains("not a GMT1 request line");
            // still serving
            assertThat(roundTrip(h, "hi")).isEqualTo("got 2: hi");
        }
    }

    /** A whole stream to worker:22: send {@code text}, EOF, read the answer to the worker's EOF, status OK. */
    static String roundTrip(TunnelHelper h, String text) throws IOException {
        Conn up = Conn.open(h.port(), "GMT1 " + h.secret() + " tunnel relay worker 22\n");
        assertThat(up.answer()).startsWith("OK ");
        String id = up.answer().substring(3);
        Conn down = Conn.open(h.port(), "GMT1 " + h.secret() + " attach " + id + "\n");
        up.s().getOutputStream().write(text.getBytes(StandardCharsets.UTF_8));
        up.s().close(); // the half-close toward the worker
        String got = new String(down.s().getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        down.s().close();
        assertThat(Conn.open(h.port(), "GMT1 " + h.secret() + " status " + id + "\n").answer()).isEqualTo("OK");
        return got;
    }

    @Test
    void relayStreamsTakeTheSpareConnectionAndADeadSpareCostsNothingButTime() throws Exception {
        try (TunnelHelper h = start(60_000)) {
            await("the spare made at start", h::spareReady);
            assertThat(roundTrip(h, "a")).isEqualTo("got 1: a");
            assertThat(h.counters().spareHits()).isEqualTo(1);
            await("a new spare", h::spareReady);
            h.breakSpare(); // as if the relay had dropped it
            assertThat(roundTrip(h, "b")).isEqualTo("got 1: b");
            assertThat(h.counters().spareHits()).as("served on a new connection").isEqualTo(1);
            await("a new spare", h::spareReady);
            assertThat(roundTrip(h, "c")).isEqualTo("got 1: c");
            assertThat(h.counters().spareHits()).isEqualTo(2);
            // a refusal on the spare is the relay's answer, not a reason to dial again
            await("a new spare", h::spareReady);
            assertThat(Conn.open(h.port(), "GMT1 " + h.secret() + " tunnel relay worker 25\n").answer())
                    .startsWith("ERR tunnel to worker:25 refused: policy:");
        }
    }

    @Test
    void refusalsCarryTheReasonsTheJvmPathPrints() throws Exception {
        try (TunnelHelper h = start(60_000)) {
            String s = "GMT1 " + h.secret() + " tunnel ";
            assertThat(Conn.open(h.port(), s + "relay worker 25\n").answer())
                    .startsWith("ERR tunnel to worker:25 refused: policy: user alice may not reach worker:25 (ask");
            assertThat(Conn.open(h.port(), s + "auto ghost 22\n").answer())
                    .isEqualTo("ERR tunnel to ghost:22 refused: no node named ghost on this relay");
            assertThat(Conn.open(h.port(), s + "mesh worker 22 " + dir.resolve("no agent") + "\n").answer())
                    .isEqualTo("ERR tunnel worker:22: no gridmesh agent at " + dir.resolve("no agent/agent.sock"));
            assertThat(Conn.open(h.port(), s + "sideways worker 22\n").answer())
                    .isEqualTo("ERR tunnel: worker 22: --via: sideways (expected: auto, mesh or relay)");
            // a stream the worker resets after accepting: status carries the JVM path's reason
            Conn up = Conn.open(h.port(), s + "relay worker 24\n");
            String id = up.answer().substring(3);
            Conn down = Conn.open(h.port(), "GMT1 " + h.secret() + " attach " + id + "\n");
            assertThat(down.s().getInputStream().readAllBytes()).isEmpty();
            assertThat(Conn.open(h.port(), "GMT1 " + h.secret() + " status " + id + "\n").answer())
                    .isEqualTo("ERR tunnel reset: worker went away (test)");
            up.s().close();
            Files.delete(config.resolve(Credentials.FILE));
            assertThat(Conn.open(h.port(), s + "relay worker 22\n").answer())
                    .startsWith("ERR not logged in (no " + config.resolve(Credentials.FILE) + "): run gridmesh login");
        }
    }

    @Test
    void halfCloseIsExactInBothDirections() throws Exception {
        try (TunnelHelper h = start(60_000)) {
            // client EOF first: 100 KB arrive whole before the worker's EOF, and its answer still comes back
            String big = "x".repeat(100_000);
            assertThat(roundTrip(h, big)).isEqualTo("got 100000: " + big);
            // worker EOF first: the client reads "early" then EOF, yet can still send; the worker gets it all
            Conn up = Conn.open(h.port(), "GMT1 " + h.secret() + " tunnel relay worker 23\n");
            String id = up.answer().substring(3);
            Conn down = Conn.open(h.port(), "GMT1 " + h.secret() + " attach " + id + "\n");
            assertThat(new String(down.s().getInputStream().readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("early");
            assertThat(Conn.open(h.port(), "GMT1 " + h.secret() + " status " + id + "\n").answer()).isEqualTo("OK");
            up.s().getOutputStream().write("after the worker's EOF".getBytes(StandardCharsets.UTF_8));
            up.s().close();
            await("the worker got the client's bytes and EOF", () -> worker.received.containsKey(23));
            assertThat(worker.received.get(23)).isEqualTo("after the worker's EOF");
            assertThat(h.counters().streams()).isEqualTo(2);
        }
    }

    @Test
    void exitsWhenIdleAndNotWhileAStreamIsOpen() throws Exception {
        TunnelHelper h = start(300);
        Conn up = Conn.open(h.port(), "GMT1 " + h.secret() + " tunnel relay worker 22\n");
        String id = up.answer().substring(3);
        Conn down = Conn.open(h.port(), "GMT1 " + h.secret() + " attach " + id + "\n");
        long t0 = System.nanoTime();
        // the stream stays open well past the idle time: the helper must not leave
        while (System.nanoTime() - t0 < TimeUnit.MILLISECONDS.toNanos(900)) {
            assertThat(h.closed()).isNotDone();
            up.s().getOutputStream().write('a');
            Thread.onSpinWait();
            down.s().setSoTimeout(50);
            try {
                down.s().getInputStream().read();
            } catch (java.net.SocketTimeoutException expected) {
                // nothing comes back before our EOF
            }
        }
        up.s().close();
        assertThat(new String(down.s().getInputStream().readAllBytes(), StandardCharsets.UTF_8)).startsWith("got ");
        h.closed().get(10, TimeUnit.SECONDS);
        assertThat(config.resolve(TunnelHelper.FILE)).doesNotExist();
        assertThat(logBytes.toString(StandardCharsets.UTF_8)).contains("idle for 0 s: exiting");
    }

    /** {@code gridmesh login} and {@code gridmesh logout} (real processes, this user's HOME in a temp dir) stop it. */
    @Test
    void loginAndLogoutStopTheHelper() throws Exception {
        TunnelHelper h = start(60_000);
        Credentials c = Credentials.load(config);
        Process login = gridmesh("login", "--server", c.server(), "--pin", c.pin(), "--token", c.token());
        assertThat(login.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(login.exitValue()).as(new String(login.getErrorStream().readAllBytes())).isZero();
        h.closed().get(10, TimeUnit.SECONDS);
        assertThat(config.resolve(TunnelHelper.FILE)).doesNotExist();

        TunnelHelper h2 = start(60_000);
        Process logout = gridmesh("logout", "--state-dir", dir.resolve("no-agent").toString());
        assertThat(logout.waitFor(60, TimeUnit.SECONDS)).isTrue();
        h2.closed().get(10, TimeUnit.SECONDS);
        assertThat(TunnelHelper.stop(config)).as("nothing left to stop").isFalse();
    }

    Process gridmesh(String... args) throws IOException {
        String javaBin = ProcessHandle.current().info().command().orElseThrow();
        java.util.List<String> cmd = new java.util.ArrayList<>(java.util.List.of(javaBin, "-cp", System.getProperty("java.class.path"),
                "dev.gridmesh.cli.Main"));
        cmd.addAll(java.util.List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectOutput(ProcessBuilder.Redirect.DISCARD);
        pb.environment().remove("XDG_CONFIG_HOME");
        pb.environment().remove(TunnelHelper.LAUNCHER_ENV);
        pb.environment().put("HOME", dir.resolve("home").toString());
        return pb.start();
    }

    /** The helper closed {@code s}: EOF, or a reset when it left our bytes unread. */
    static void assertClosed(Socket s) {
        try {
            assertThat(s.getInputStream().read()).isEqualTo(-1);
        } catch (IOException reset) {
            assertThat(reset.getMessage()).contains("reset");
        }
    }
}
