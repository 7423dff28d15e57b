package dev.gridmesh.agent.wgquick;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.gridmesh.crypto.NodePrivateKey;
import dev.gridmesh.crypto.NodePublicKey;
import dev.gridmesh.crypto.PresharedKey;
import dev.gridmesh.protocol.net.IpPrefix;
import dev.gridmesh.protocol.wg.WgPeerConfig;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The wg-quick parser against fixture files: one file per failure reason in {@code wgquick/bad} (its first line,
 * {@code # expect: ...}, is the exact message after the file name), and real-world shapes in {@code wgquick/good}.
 */
class WgQuickParserTest {
    static final String PRIV = "gIXahCudDA+ZdERgVyQFY5ypviOxK3rr4MnHmEfdm3Y=";
    static final String PUB = "1zoyg07fdVe19R3Va9/FbGjg6UNnE7K+WdfcLbGJhTI=";
    static final NodePublicKey PEER2 = NodePublicKey.fromBase64("G89U1CyU/mn9/bcHQBBdlNaEBQmNmFIJzs8hksaYbww=");
    static final NodePublicKey PEER3 = NodePublicKey.fromBase64("q7zMgPSdzy13Ij3BqxhIFOOIfqYvV5f+Ux+58jzBAC8=");
    static final NodePublicKey PEER4 = NodePublicKey.fromBase64("/eQhQALliA1wAwBrDNjzxqzG1dwcm3jn3+AC2YbZK2Y=");

    /** No DNS in tests: one known name; everything else does not resolve. */
    static final Map<String, String> HOSTS = Map.of("relay-se1.vpn.example", "198.18.7.7");
    /** Warnings, except the one about the file mode (fixtures' modes depend on the checkout's umask). */
    final List<String> warnings = new ArrayList<>();
    final java.util.function.Consumer<String> warn = w -> {
        if (!w.endsWith("(expected: chmod 600)")) {
            warnings.add(w);
        }
    };
    final WgQuickParser parser = new WgQuickParser(host -> {
        String a = HOSTS.get(host);
        if (a == null) {
            throw new UnknownHostException(host);
        }
        return InetAddress.getByAddress(host, IpPrefix.parseAddress(a));
    });

    static Path fixture(String dir, String name) {
        try {
            return Path.of(WgQuickParserTest.class.getResource("/wgquick/" + dir + "/" + name).toURI());
        } catch (URISyntaxException e) {
            throw new AssertionError(e);
        }
    }

    static Stream<Path> badFixtures() throws IOException {
        try (Stream<Path> s = Files.list(fixture("bad", "empty.conf").getParent())) {
            return s.sorted().toList().stream();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badFixtures")
    void eachBadFixtureFailsWithItsMessage(Path file) throws IOException {
        String first = Files.readAllLines(file).getFirst();
        assertThat(first).startsWith("# expect: ");
        String expected = file + first.substring("# expect: ".length());

        ConfigException e = assertThrows(ConfigException.class, () -> parser.parse(file, warn));
        assertThat(e.getMessage()).isEqualTo(expected);
        assertThat(e.file()).isEqualTo(file);
        assertThat(e.getMessage()).doesNotContain("\n");
    }

    @Test
    void wgQuickManPageExample() throws ConfigException {
        WgQuickConfig c = parser.parse(fixture("good", "wgquick-man.conf"), warn);
        assertThat(c.interfaceName()).isEqualTo("wgquick-man");
        assertThat(c.privateKey()).isEqualTo(NodePrivateKey.fromBase64(PRIV));
        assertThat(c.privateKey().publicKey().toBase64()).isEqualTo(PUB);
        assertThat(c.addresses()).extracting(IpPrefix::toHostString).containsExactly("100.64.100.8/24");
        assertThat(c.listenPort()).isEqualTo(21841);
        assertThat(c.mtu()).isEqualTo(WgQuickConfig.DEFAULT_MTU);
        assertThat(c.dns()).isEmpty();
        assertThat(c.peers()).containsExactly(new WgPeerConfig(PEER2, PresharedKey.NONE,
                List.of(IpPrefix.parse("0.0.0.0/0")), new InetSocketAddress(addr("198.18.5.69"), 51820), 0));
        assertThat(warnings).isEmpty();
    }

    @Test
    void providerFileWithDnsAndHostnameEndpoint() throws ConfigException {
        Path f = fixture("good", "provider.conf");
        WgQuickConfig c = parser.parse(f, warn);
        assertThat(c.addresses()).extracting(IpPrefix::toHostString)
                .containsExactly("100.64.33.7/32", addr("fd7a:115c:a1e0::21:7").getHostAddress() + "/128");
        assertThat(c.listenPort()).isZero();
        assertThat(c.dns()).containsExactly("100.64.0.1", "fd7a:115c:a1e0::1");
        WgPeerConfig p = c.peers().getFirst();
        assertThat(p.allowedIps()).containsExactly(IpPrefix.parse("0.0.0.0/0"), IpPrefix.parse("::/0"));
        assertThat(p.endpoint()).isEqualTo(new InetSocketAddress(addr("198.18.7.7"), 51820));
        assertThat(warnings).containsExactly(f + ":6: DNS: ignored (gridmesh does not configure the system resolver)");
    }

    @Test
    void serverWithSeveralPeersHooksAndPsk() throws ConfigException {
        Path f = fixture("good", "server.conf");
        WgQuickConfig c = parser.parse(f, warn);
        assertThat(c.addresses()).extracting(IpPrefix::toHostString)
                .containsExactly("100.64.0.1/24", addr("fd7a::1").getHostAddress() + "/64");
        assertThat(c.listenPort()).isEqualTo(51820);
        assertThat(c.mtu()).isEqualTo(1380);
        assertThat(c.peers()).hasSize(3);
        WgPeerConfig laptop = c.peers().get(0);
        assertThat(laptop.publicKey()).isEqualTo(PEER2);
        assertThat(laptop.presharedKey()).isEqualTo(PresharedKey.fromBase64("ZDvRBkkutEpAOzgAkq+wh+9iLH8ipBeMtMI0SA5Zuus="));
        assertThat(laptop.allowedIps()).containsExactly(IpPrefix.parse("100.64.0.2/32"), IpPrefix.parse("fd7a::2/128"));
        assertThat(laptop.endpoint()).isNull();
        WgPeerConfig phone = c.peers().get(1);
        assertThat(phone.publicKey()).isEqualTo(PEER3);
        assertThat(phone.presharedKey()).isEqualTo(PresharedKey.NONE);
        assertThat(phone.persistentKeepaliveSeconds()).isEqualTo(25);
        WgPeerConfig site = c.peers().get(2);
        assertThat(site.publicKey()).isEqualTo(PEER4);
        assertThat(site.allowedIps()).containsExactly(IpPrefix.parse("100.64.1.0/24"), IpPrefix.parse("100.64.2.0/24"));
        assertThat(site.endpoint()).isEqualTo(new InetSocketAddress(addr("2001:db8::b"), 51820));
        assertThat(site.persistentKeepaliveSeconds()).isZero();
        assertThat(warnings).containsExactly(f + ":5: SaveConfig: ignored (gridmesh never writes the file back)");
        assertThat(c.hooks().preUp()).isEmpty();
        assertThat(c.hooks().postUp()).containsExactly(
                "iptables -A FORWARD -i %i -j ACCEPT; iptables -t nat -A POSTROUTING -o eth0 -j MASQUERADE");
        assertThat(c.hooks().postDown()).containsExactly(
                "iptables -D FORWARD -i %i -j ACCEPT; iptables -t nat -D POSTROUTING -o eth0 -j MASQUERADE");
        assertThat(c.hooks().preDown()).isEmpty();
    }

    @Test
    void messyButLegalFormatting() throws ConfigException {
        Path f = fixture("good", "messy.conf");
        WgQuickConfig c = parser.parse(f, warn);
        assertThat(c.privateKey()).isEqualTo(NodePrivateKey.fromBase64(PRIV));
        assertThat(c.addresses()).extracting(IpPrefix::toHostString).containsExactly("100.64.9.9/10");
        assertThat(c.peers()).containsExactly(new WgPeerConfig(PEER2, PresharedKey.NONE, List.of(),
                new InetSocketAddress(addr("198.18.0.9"), 1), 0));
        assertThat(warnings).containsExactly(
                f + ":6: fwmark: ignored (gridmesh does not mark its packets)",
                f + ":7: table: ignored (gridmesh installs routes for AllowedIPs in the main table)");
    }

    @Test
    void shippedExampleParses() throws ConfigException { // docs/examples/wg0.conf, the commented example
        Path example = Path.of("..", "docs", "examples", "wg0.conf");
        WgQuickConfig c = parser.parse(example, warn);
        assertThat(c.interfaceName()).isEqualTo("wg0");
        assertThat(c.listenPort()).isEqualTo(51820);
        assertThat(c.addresses()).hasSize(2);
        assertThat(c.peers()).hasSize(2);
        assertThat(c.peers().get(1).persistentKeepaliveSeconds()).isEqualTo(25);
        assertThat(warnings).isEmpty();
    }

    @Test
    void hooksKeepOrderEqualsSignsAndRepeats(@TempDir Path dir) throws ConfigException {
        Path f = dir.resolve("wg3.conf");
        WgQuickConfig c = parser.parse(f, """
                [Interface]
                PrivateKey = %s
                PreUp = sysctl -w net.ipv4.ip_forward=1
                postup = echo up %%i   # comment
                PostUp=echo second
                PreDown = echo pre-down
                POSTDOWN = echo down %%i
                """.formatted(PRIV), warn);
        assertThat(c.hooks()).isEqualTo(new WgQuickHooks(List.of("sysctl -w net.ipv4.ip_forward=1"),
                List.of("echo up %i", "echo second"), List.of("echo pre-down"), List.of("echo down %i")));
        assertThat(warnings).isEmpty();
        assertThatThrownBy(() -> parser.parse(f, "[Interface]\nPrivateKey = " + PRIV + "\nPostUp =\n", warn))
                .hasMessage(f + ":3: PostUp: empty (expected: a shell command, %i for the interface name)");
    }

    @Test
    void minimalFileGetsDefaults() throws ConfigException {
        WgQuickConfig c = parser.parse(fixture("good", "minimal.conf"), warn);
        assertThat(c.interfaceName()).isEqualTo("minimal");
        assertThat(c.addresses()).isEmpty();
        assertThat(c.listenPort()).isZero();
        assertThat(c.mtu()).isEqualTo(1420);
        assertThat(c.peers()).isEmpty();
        assertThat(c.hooks()).isEqualTo(WgQuickHooks.NONE);
    }

    @Test
    void configIsImmutable() throws ConfigException {
        WgQuickConfig c = parser.parse(fixture("good", "server.conf"), warn);
        assertThatThrownBy(() -> c.peers().clear()).isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(() -> c.addresses().clear()).isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(() -> c.peers().getFirst().allowedIps().clear()).isInstanceOf(UnsupportedOperationException.class);
        assertThat(c.toString()).contains(PUB).doesNotContain(PRIV);
    }

    @Test
    void missingFileIsOneLine(@TempDir Path dir) {
        Path f = dir.resolve("wg9.conf");
        assertThatThrownBy(() -> parser.parse(f, warn))
                .isInstanceOf(ConfigException.class).hasMessage(f + ": no such file");
    }

    @Test
    void worldReadableFileIsWarnedAbout(@TempDir Path dir) throws IOException, ConfigException {
        Path f = dir.resolve("wg1.conf");
        Files.writeString(f, "[Interface]\nPrivateKey = " + PRIV + "\n");
        Files.setPosixFilePermissions(f, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
        parser.parse(f, warnings::add);
        assertThat(warnings).containsExactly(f + ": file is world accessible and holds a private key (expected: chmod 600)");
        warnings.clear();
        Files.setPosixFilePermissions(f, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        parser.parse(f, warnings::add);
        assertThat(warnings).isEmpty();
    }

    @Test
    void interfaceNamesAsWgQuickAllows() throws ConfigException {
        assertThat(WgQuickParser.interfaceName(Path.of("/etc/wireguard/wg0.conf"))).isEqualTo("wg0");
        assertThat(WgQuickParser.interfaceName(Path.of("a_b=c+d.e-f.conf"))).isEqualTo("a_b=c+d.e-f");
        assertThat(WgQuickParser.interfaceName(Path.of("123456789012345.conf"))).isEqualTo("123456789012345");
        assertThrows(ConfigException.class, () -> WgQuickParser.interfaceName(Path.of("1234567890123456.conf")));
        assertThrows(ConfigException.class, () -> WgQuickParser.interfaceName(Path.of(".conf")));
        assertThrows(ConfigException.class, () -> WgQuickParser.interfaceName(Path.of("wg/0.conf").getParent()));
    }

    private static InetAddress addr(String a) {
        try {
            return InetAddress.getByAddress(IpPrefix.parseAddress(a));
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }
}
