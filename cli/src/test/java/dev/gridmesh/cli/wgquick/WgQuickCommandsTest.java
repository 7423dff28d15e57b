package dev.gridmesh.cli.wgquick;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gridmesh.agent.dataplane.DataPlaneOptions;
import dev.gridmesh.cli.CliRun;
import dev.gridmesh.crypto.NodePrivateKey;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code wg-quick up/show/down} in-process, no root: the data plane runs on a fake TUN with UDP on loopback (port 0),
 * the local API socket lives in a temporary directory.
 */
class WgQuickCommandsTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final NodePrivateKey KEY = NodePrivateKey.generate();
    static final String PEER = NodePrivateKey.generate().publicKey().toBase64();

    @TempDir Path dir;

    /** Commands as production builds them, except {@code up}, which gets the fake TUN. */
    static final CommandLine.IFactory FAKE_TUN = new CommandLine.IFactory() {
        @Override
        public <K> K create(Class<K> cls) throws Exception {
            if (cls == WgQuickUpCommand.class) {
                return cls.cast(new WgQuickUpCommand(DataPlaneOptions.withTun(FakeTun::new)));
            }
            return CommandLine.defaultFactory().create(cls);
        }
    };

    Path config(String name, String body) throws IOException {
        Path f = dir.resolve(name + ".conf");
        Files.writeString(f, body);
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-------"));
        return f;
    }

    String sockets() {
        return dir.resolve("run").toString();
    }

    CliRun cli(String... args) {
        List<String> a = new ArrayList<>(List.of(args));
        a.add("--socket-dir");
        a.add(sockets());
        return CliRun.withFactory(FAKE_TUN, "", a.toArray(String[]::new));
    }

    /** Polls until {@code ok} holds, at most {@code within}; the condition is a process boundary, not a timer. */
    static void await(String what, Duration within, Supplier<Boolean> ok) throws InterruptedException {
        long deadline = System.nanoTime() + within.toNanos();
        while (!ok.get()) {
            assertThat(System.nanoTime() - deadline).as("waiting for " + what).isNegative();
            Thread.sleep(10);
        }
    }

    @Test
    void upShowDown() throws Exception {
        Path file = config("gmtest0", """
                [Interface]
                PrivateKey = %s
                Address = 100.64.7.1/24
                ListenPort = 0
                DNS = 100.64.0.53

                [Peer]
                PublicKey = %s
                AllowedIPs = 100.64.7.2/32
                Endpoint = 127.0.0.1:9
                PersistentKeepalive = 25
                """.formatted(KEY.toBase64(), PEER));
        CompletableFuture<CliRun> up = CompletableFuture.supplyAsync(
                () -> cli("wg-quick", "up", file.toString(), "--rekey-after-time", "5s"));
        try {
            await("gmtest0 to answer show", Duration.ofSeconds(20),
                    () -> up.isDone() || cli("wg-quick", "show", "gmtest0").exit() == 0);
            assertThat(up).as("up still running").isNotDone();

            CliRun text = cli("wg-quick", "show", "gmtest0");
            assertThat(text.out()).startsWith("interface: gmtest0\n  public key: " + KEY.publicKey().toBase64()
                    + "\n  private key: (hidden)\n  listening port: ");
            assertThat(text.out()).contains("\npeer: " + PEER + "\n  endpoint: 127.0.0.1:9\n"
                    + "  allowed ips: 100.64.7.2/32\n");
            assertThat(text.out()).endsWith("  persistent keepalive: every 25 seconds\n");

            CliRun alias = cli("show");
            assertThat(alias.exit()).isZero();
            assertThat(withoutCounters(alias.out())).isEqualTo(withoutCounters(text.out()));

            JsonNode one = JSON.readTree(cli("wg-quick", "show", "gmtest0", "--json").out());
            assertSchemaV1Interface(one, true);
            assertThat(one.path("name").asText()).isEqualTo("gmtest0");
            assertThat(one.path("publicKey").asText()).isEqualTo(KEY.publicKey().toBase64());
            assertThat(one.path("listenPort").asInt()).isBetween(1, 65535);
            assertThat(one.path("addresses").get(0).asText()).isEqualTo("100.64.7.1/24");
            assertThat(one.path("mtu").asInt()).isEqualTo(1420);
            JsonNode peer = one.path("peers").get(0);
            assertThat(peer.path("publicKey").asText()).isEqualTo(PEER);
            assertThat(peer.path("endpoint").asText()).isEqualTo("127.0.0.1:9");
            assertThat(peer.path("allowedIps").get(0).asText()).isEqualTo("100.64.7.2/32");
            assertThat(peer.path("persistentKeepaliveSeconds").asInt()).isEqualTo(25);
            assertThat(peer.path("presharedKey").asBoolean()).isFalse();

            JsonNode all = JSON.readTree(cli("show", "--json").out());
            assertThat(fieldNames(all)).containsExactly("schemaVersion", "interfaces");
            assertThat(all.path("schemaVersion").asInt()).isEqualTo(1);
            assertThat(all.path("interfaces")).hasSize(1);
            assertSchemaV1Interface(all.path("interfaces").get(0), false);

            CliRun twice = cli("wg-quick", "up", file.toString());
            assertThat(twice.exit()).isEqualTo(1);
            assertThat(twice.errLines()).hasSize(1);
            assertThat(twice.errLines()[0]).startsWith("gridmesh: wg-quick up gmtest0: local API socket ")
                    .contains("another process is already listening on it");
            assertThat(cli("wg-quick", "show", "gmtest0").exit()).as("first one still serves").isZero();

            CliRun down = cli("wg-quick", "down", "gmtest0");
            assertThat(down.exit()).as(down.err()).isZero();
            assertThat(down.out()).isEqualTo("gmtest0: down\n");
        } finally {
            if (!up.isDone()) {
                cli("wg-quick", "down", "gmtest0");
            }
        }
        CliRun ran = up.get(20, TimeUnit.SECONDS);
        assertThat(ran.exit()).as(ran.err()).isZero();
        assertThat(ran.out()).startsWith("interface: gmtest0\n  config: " + file + "\n  public key: "
                + KEY.publicKey().toBase64() + "\n  listening port: ");
        assertThat(ran.out()).contains("  addresses: 100.64.7.1/24\n  mtu: 1420\n  control socket: "
                + Path.of(sockets(), "gmtest0.sock") + "\n");
        assertThat(Files.exists(Path.of(sockets(), "gmtest0.sock"))).as("socket removed").isFalse();

        CliRun gone = cli("wg-quick", "show", "gmtest0");
        assertThat(gone.exit()).isEqualTo(1);
        assertThat(gone.errLines()).hasSize(1);
        assertThat(gone.errLines()[0]).startsWith("gridmesh: show gmtest0: ");
    }

    @Test
    void hooksRunInWgQuickOrderWithInterfaceName() throws Exception {
        Path log = dir.resolve("hooks.log");
        Path file = config("gmhook0", """
                [Interface]
                PrivateKey = %s
                PreUp = echo pre-up %%i >> %s
                PostUp = echo post-up %%i >> %s
                PostUp = echo post-up-2 >> %s
                PreDown = echo pre-down %%i >> %s
                PostDown = echo post-down %%i >> %s
                """.formatted(KEY.toBase64(), log, log, log, log, log));
        CompletableFuture<CliRun> up = CompletableFuture.supplyAsync(() -> cli("wg-quick", "up", file.toString()));
        try {
            await("gmhook0 to answer show", Duration.ofSeconds(20),
                    () -> up.isDone() || cli("wg-quick", "show", "gmhook0").exit() == 0);
            assertThat(Files.readAllLines(log)).containsExactly("pre-up gmhook0", "post-up gmhook0", "post-up-2");
            assertThat(cli("wg-quick", "down", "gmhook0").exit()).isZero();
        } finally {
            if (!up.isDone()) {
                cli("wg-quick", "down", "gmhook0");
            }
        }
        CliRun ran = up.get(20, TimeUnit.SECONDS);
        assertThat(ran.exit()).as(ran.err()).isZero();
        assertThat(Files.readAllLines(log)).containsExactly("pre-up gmhook0", "post-up gmhook0", "post-up-2",
                "pre-down gmhook0", "post-down gmhook0");
    }

    @Test
    void failingPostUpTearsDownInOneLine() throws Exception {
        Path log = dir.resolve("hooks.log");
        Path file = config("gmhook1", """
                [Interface]
                PrivateKey = %s
                PostUp = exit 3
                PostDown = echo post-down >> %s
                """.formatted(KEY.toBase64(), log));
        CliRun r = CompletableFuture.supplyAsync(() -> cli("wg-quick", "up", file.toString())).get(30, TimeUnit.SECONDS);
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.errLines()).containsExactly("gridmesh: wg-quick up gmhook1: PostUp: `exit 3` exited 3");
        assertThat(Files.exists(Path.of(sockets(), "gmhook1.sock"))).as("socket removed").isFalse();
        assertThat(log).doesNotExist(); // like wg-quick: a failed up runs no down hooks
    }

    private static void assertSchemaV1Interface(JsonNode i, boolean withVersion) {
        List<String> expected = new ArrayList<>(List.of("name", "publicKey", "listenPort", "addresses", "mtu", "peers"));
        if (withVersion) {
            expected.addFirst("schemaVersion");
            assertThat(i.path("schemaVersion").asInt()).isEqualTo(1);
        }
        assertThat(fieldNames(i)).containsExactlyElementsOf(expected);
        for (JsonNode p : i.path("peers")) {
            assertThat(fieldNames(p)).containsExactly("publicKey", "presharedKey", "endpoint", "allowedIps",
                    "latestHandshake", "latestHandshakeEpochMillis", "rxBytes", "txBytes",
                    "persistentKeepaliveSeconds");
        }
    }

    /** Drops the lines that may change between two calls (traffic, handshakes). */
    private static String withoutCounters(String show) {
        return show.replaceAll("(?m)^  (transfer|latest handshake): .*\n", "");
    }

    private static List<String> fieldNames(JsonNode n) {
        List<String> names = new ArrayList<>();
        n.fieldNames().forEachRemaining(names::add);
        return names;
    }

    @Test
    void showWithoutDaemonIsOneLineExit1() {
        CliRun r = cli("wg-quick", "show", "gmnone0");
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.out()).isEmpty();
        assertThat(r.errLines()).containsExactly("gridmesh: show gmnone0: no gridmesh agent at "
                + Path.of(sockets(), "gmnone0.sock") + " (is the interface up?)");
        CliRun all = cli("show", "--json");
        assertThat(all.exit()).isEqualTo(1);
        assertThat(all.out()).isEmpty();
        assertThat(all.errLines()).containsExactly("gridmesh: show: no gridmesh interface is running (no live socket in "
                + sockets() + "; start one with: gridmesh wg-quick up FILE.conf)");
    }

    @Test
    void downWithoutDaemonIsOneLineExit1() {
        CliRun r = cli("wg-quick", "down", "gmnone0");
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.errLines()).hasSize(1);
        assertThat(r.errLines()[0]).startsWith("gridmesh: wg-quick down gmnone0: no gridmesh agent at ");
    }

    @Test
    void badConfigIsOneLineWithFileAndLine() throws IOException {
        Path file = config("gmbad0", "[Interface]\nPrivateKey = " + KEY.toBase64() + "\nListenPort = 70000\n");
        CliRun r = cli("wg-quick", "up", file.toString());
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.out()).isEmpty();
        assertThat(r.errLines()).containsExactly("gridmesh: " + file + ":3: ListenPort: 70000 (expected: 0..65535)");
    }

    @Test
    void missingFileIsOneLine() {
        CliRun r = cli("wg-quick", "up", dir.resolve("wg4.conf").toString());
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.errLines()).containsExactly("gridmesh: " + dir.resolve("wg4.conf") + ": no such file");
    }

    @Test
    void usageErrorsExit2() {
        assertThat(cli("wg-quick", "up").exit()).isEqualTo(2);
        assertThat(cli("wg-quick").exit()).isEqualTo(2);
        CliRun r = cli("wg-quick", "up", "x.conf", "--rekey-after-time", "soon");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.errLines()).containsExactly("gridmesh: wg-quick up: invalid value for option '--rekey-after-time': "
                + "soon (expected: a duration such as 500ms, 5s, 2m, 1h or PT5S) (see 'gridmesh wg-quick up --help')");
        assertThat(cli("show", "not/a valid name!").exit()).isEqualTo(1);
    }

    @Test
    void timerOptionsMapIntoWgTimers() {
        TimerOptions t = new TimerOptions();
        assertThat(t.timers()).isEqualTo(dev.gridmesh.protocol.wg.WgTimers.standard());
        assertThat(t.anySet()).isFalse();
        t.rekeyAfterTime = new DurationConverter().convert("5s");
        t.rekeyAfterMessages = 1000L;
        assertThat(t.timers().rekeyAfterTime()).isEqualTo(Duration.ofSeconds(5));
        assertThat(t.timers().rekeyAfterMessages()).isEqualTo(1000L);
        assertThat(t.timers().rejectAfterTime()).isEqualTo(Duration.ofSeconds(180));
        assertThat(t.anySet()).isTrue();
        DurationConverter c = new DurationConverter();
        assertThat(c.convert("500ms")).isEqualTo(Duration.ofMillis(500));
        assertThat(c.convert("2m")).isEqualTo(Duration.ofMinutes(2));
        assertThat(c.convert("7")).isEqualTo(Duration.ofSeconds(7));
        assertThat(c.convert("PT1H")).isEqualTo(Duration.ofHours(1));
    }
}
