package dev.gridmesh.cli.relay;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gridmesh.cli.CliRun;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code gridmesh relay --store}: refused values name what was expected, on the command line and in the config file. */
class RelayStoreOptionTest {
    @TempDir Path dir;

    @Test
    void badStoreOnTheCommandLine() {
        CliRun r = CliRun.run("relay", "--state-dir", dir.toString(), "--listen", "127.0.0.1:0", "--stun-listen", "off",
                "--metrics-listen", "off", "--store", "mysql://db:3306");
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err()).isEqualTo("gridmesh: relay: store: mysql://db:3306 (expected: h2, or"
                + " etcd://HOST:PORT[,HOST:PORT...][/PREFIX/])\n");
    }

    @Test
    void badStoreInTheConfigFile() throws Exception {
        Path cfg = dir.resolve("relay.toml");
        Files.writeString(cfg, "listen = \"127.0.0.1:0\"\nstun_listen = \"off\"\nmetrics_listen = \"off\"\nstore = \"etcd://db\"\n");
        CliRun r = CliRun.run("relay", "--state-dir", dir.toString(), "--config", cfg.toString());
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err()).contains("store: etcd://db: endpoint 'db'");
    }

    @Test
    void helpNamesTheOption() {
        CliRun r = CliRun.run("relay", "--help");
        assertThat(r.out()).contains("--store=h2|etcd://HOST:PORT[,...][/PREFIX/]").contains("docs/multi-relay.md");
    }
}
