package dev.gridmesh.testsupport.portmap;

import static java.util.Objects.requireNonNull;

import dev.gridmesh.testsupport.lab.Lab;
import dev.gridmesh.testsupport.lab.LabProcess;
import dev.gridmesh.testsupport.lab.Netns;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * Turns a lab namespace into a home NAT router running Debian's miniupnpd 2.3.1 (nftables backend) with NAT-PMP,
 * PCP and UPnP-IGD on its LAN side.
 *
 * <p>What it sets up, and why:
 * <ul>
 * <li>MASQUERADE from the LAN prefix out of the WAN interface, and the home-router firewall (WAN to LAN only
 *     ESTABLISHED/RELATED or DNAT, the latter being what port mappings are for, as OpenWrt's firewall does; nothing
 *     unsolicited to the router except from the lab's STUN server).</li>
 * <li>miniupnpd's own nft table ({@code inet filter}: chains miniupnpd, prerouting_miniupnpd,
 *     postrouting_miniupnpd, hooked from base chains), as Debian's nft_init.sh would.</li>
 * <li>coturn {@code --stun-only} on two WAN-side addresses (RFC 5780 CHANGE-REQUEST support), and
 *     {@code ext_perform_stun=yes}: miniupnpd refuses to forward when its external address is reserved, and every
 *     lab address (198.18.0.0/15) is; STUN showing the router reachable 1:1 is the only way it enables forwarding
 *     with lab addresses.</li>
 * <li>{@code secure_mode}, an allow rule for the LAN prefix only, its own uuid, pid file, lease file and (absent)
 *     minissdpd socket in the test's log directory; foreground ({@code -d}) so the lab owns the process.</li>
 * </ul>
 * Needs the tools {@code miniupnpd}, {@code turnserver} and {@code nft} (pass them to {@link Lab#open}).
 * Everything stops with the lab.
 */
public final class MiniupnpdRouter {
    private static final Duration READY = Duration.ofSeconds(20);
    private final Lab lab;
    private final Netns router;
    private final String lanIf;
    private final String lanPrefix;
    private final String wanIf;
    private final String stunIp;
    private LabProcess miniupnpd;

    private MiniupnpdRouter(Lab lab, Netns router, String lanIf, String lanPrefix, String wanIf, String stunIp) {
        this.lab = lab;
        this.router = router;
        this.lanIf = lanIf;
        this.lanPrefix = lanPrefix;
        this.wanIf = wanIf;
        this.stunIp = stunIp;
    }

    /**
     * Configures {@code router} and starts coturn in {@code stunHost} (which must already hold both {@code stunIp}
     * and {@code stunAltIp} on the WAN link) and miniupnpd; returns when miniupnpd serves.
     *
     * @param lanPrefix e.g. {@code 198.18.61.0/24}
     */
    public static MiniupnpdRouter start(Lab lab, Netns router, String lanIf, String lanPrefix, String wanIf,
            Netns stunHost, String stunIp, String stunAltIp) {
        requireNonNull(lab, "lab");
        MiniupnpdRouter r = new MiniupnpdRouter(lab, router, lanIf, lanPrefix, wanIf, stunIp);
        router.enableForwarding();
        router.shOk(String.join("\n", "set -e",
                "iptables -t nat -A POSTROUTING -s " + lanPrefix + " -o " + wanIf + " -j MASQUERADE",
                "iptables -A FORWARD -i " + wanIf + " -o " + lanIf
                        + " -m conntrack --ctstate ESTABLISHED,RELATED,DNAT -j ACCEPT",
                "iptables -A FORWARD -i " + wanIf + " -o " + lanIf + " -j DROP",
                "iptables -A INPUT -i " + wanIf + " -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT",
                "iptables -A INPUT -i " + wanIf + " -s " + stunIp + " -p udp -j ACCEPT",
                "iptables -A INPUT -i " + wanIf + " -s " + stunAltIp + " -p udp -j ACCEPT",
                "iptables -A INPUT -i " + wanIf + " -j DROP"));
        Path nft = lab.file("miniupnpd.nft");
        write(nft, """
                table inet filter {
                    chain forward { type filter hook forward priority 0; policy accept; jump miniupnpd; }
                    chain miniupnpd { }
                    chain prerouting { type nat hook prerouting priority -100; policy accept; jump prerouting_miniupnpd; }
                    chain postrouting { type nat hook postrouting priority 100; policy accept; jump postrouting_miniupnpd; }
                    chain prerouting_miniupnpd { }
                    chain postrouting_miniupnpd { }
                }
                """);
        router.execOk("nft", "-f", nft.toString());
        stunHost.spawn("turnserver", List.of("turnserver", "--stun-only", "-L", stunIp, "-L", stunAltIp,
                "-p", "3478", "--no-cli", "-n", "--no-tls", "--no-dtls", "--log-file", "stdout",
                "--pidfile", lab.file("turnserver.pid").toString()));
        lab.await("coturn listening on " + stunAltIp, READY,
                () -> stunHost.exec("ss", "-lun").stdout().contains(stunAltIp + ":3478"));
        r.startMiniupnpd(false);
        return r;
    }

    private void startMiniupnpd(boolean forceIgdV1) {
        Path conf = lab.file(forceIgdV1 ? "miniupnpd-v1.conf" : "miniupnpd.conf");
        write(conf, String.join("\n",
                "ext_ifname=" + wanIf,
                "listening_ip=" + lanIf,
                "http_port=0",
                "enable_natpmp=yes",
                "enable_upnp=yes",
                "secure_mode=yes",
                "ext_perform_stun=yes",
                "ext_stun_host=" + stunIp,
                "ext_stun_port=3478",
                "min_lifetime=120",
                "max_lifetime=86400",
                "force_igd_desc_v1=" + (forceIgdV1 ? "yes" : "no"),
                "lease_file=" + lab.file("upnp.leases"),
                "minissdpdsocket=" + lab.file("minissdpd.sock"),
                "uuid=3d3cec3a-8cf0-11e0-98ee-" + String.format("%012x", ProcessHandle.current().pid() & 0xFFFF_FFFFL),
                "allow 1024-65535 " + lanPrefix + " 1024-65535",
                "deny 0-65535 0.0.0.0/0 0-65535", ""));
        LabProcess p = router.spawn("miniupnpd", List.of("/usr/sbin/miniupnpd", "-f", conf.toString(), "-d",
                "-P", lab.file("miniupnpd.pid").toString()));
        miniupnpd = p;
        lab.await("miniupnpd ready (STUN said 1:1, NAT-PMP/PCP listening)", READY, () -> {
            if (!p.isAlive()) {
                throw new AssertionError("miniupnpd exited; stderr:\n" + p.stderr());
            }
            String log = p.stderr() + p.stdout();
            return log.contains("Port forwarding is now enabled") && log.contains("Listening for NAT-PMP/PCP");
        });
    }

    /** Stops miniupnpd (SIGTERM) and starts it again, describing itself as IGD v1 when {@code forceIgdV1}. */
    public void restart(boolean forceIgdV1) {
        miniupnpd.stop();
        startMiniupnpd(forceIgdV1);
    }

    /** miniupnpd's DNAT rules: {@code nft list chain inet filter prerouting_miniupnpd}. */
    public String natRules() {
        return router.execOk("nft", "list", "chain", "inet", "filter", "prerouting_miniupnpd").stdout();
    }

    public LabProcess process() {
        return miniupnpd;
    }

    private static void write(Path p, String text) {
        try {
            Files.writeString(p, text, StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
