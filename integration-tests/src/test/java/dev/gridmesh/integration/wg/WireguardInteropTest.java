package dev.gridmesh.integration.wg;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gridmesh.testsupport.lab.Lab;
import dev.gridmesh.testsupport.lab.Link;
import dev.gridmesh.testsupport.lab.NatKind;
import dev.gridmesh.testsupport.lab.Netns;
import dev.gridmesh.testsupport.lab.Traffic;
import dev.gridmesh.testsupport.lab.WgKeyPair;
import dev.gridmesh.testsupport.lab.WireguardGo;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * gridmesh's {@code wg-quick up} against the reference wireguard-go (and against itself), in network namespaces:
 * handshake and data both ways, a 200 MB transfer checked by SHA-256 at both ends, rekeying under load, a peer
 * crashing and coming back, a peer roaming behind a NAT router, and a peer behind a symmetric NAT.
 *
 * <p>Run: {@code mvn -o -pl integration-tests -am install -DskipTests && mvn -o -pl integration-tests test -Pit}
 * (as root). Logs: {@code integration-tests/target/netns-logs/<test>/}.
 */
@Tag("netns")
@SuppressWarnings("try") // a Side is opened for its lifetime even where the body never names it
class WireguardInteropTest {
    static final long BULK_BYTES = 200L << 20;
    static final int PORT = 51820;
    static final String OVERLAY_A = "100.64.0.1";
    static final String OVERLAY_B = "100.64.0.2";
    /** Short timers so that a test sees several rekeys; option names as in cli's wg-quick command. */
    static final List<String> SHORT_REKEY = List.of("--rekey-after-time", "5s");

    enum Impl { GRIDMESH, WIREGUARD_GO }

    @BeforeAll
    static void buildGridmesh() {
        Lab.requirePreconditions("wireguard-go", "wg", "socat", "ss");
        Gridmesh.ensureBuilt();
    }

    /**
     * Handshake, ping both ways, then 200 MB from initiator to responder. The initiator knows the responder's
     * endpoint; the responder learns the initiator's from the handshake.
     * <pre>
     *        gm&lt;run&gt;a  (initiator)                     gm&lt;run&gt;b  (responder)
     *  +---------------------------+   veth    +---------------------------+
     *  | INITIATOR  gm&lt;run&gt;wa     |-----------| RESPONDER  gm&lt;run&gt;wb     |
     *  | 198.18.0.1/24             |           | 198.18.0.2/24  UDP 51820  |
     *  | overlay 100.64.0.1/24     |           | overlay 100.64.0.2/24     |
     *  | peer b: endpoint .0.2     |           | peer a: no endpoint       |
     *  +---------------------------+           +---------------------------+
     * </pre>
     */
    @ParameterizedTest(name = "{0} initiates to {1}")
    @CsvSource({"GRIDMESH, WIREGUARD_GO", "WIREGUARD_GO, GRIDMESH", "GRIDMESH, GRIDMESH"})
    void pingAndBulkTransfer(Impl initiator, Impl responder, TestInfo info) {
        try (Lab lab = Lab.open(name(info, initiator + "-" + responder), "wireguard-go", "wg", "socat", "ss")) {
            Netns a = lab.netns("a");
            Netns b = lab.netns("b");
            Link link = lab.link(a, "198.18.0.1/24", b, "198.18.0.2/24");
            WgKeyPair ka = WgKeyPair.generate(lab);
            WgKeyPair kb = WgKeyPair.generate(lab);
            try (Side sa = start(initiator, a, "wa", ka, OVERLAY_A, peer(kb, OVERLAY_B, link.bIp()), List.of());
                    Side sb = start(responder, b, "wb", kb, OVERLAY_B, peer(ka, OVERLAY_A, null), List.of())) {
                lab.await("first ping " + sa.label() + " -> " + sb.label(), Duration.ofSeconds(15),
                        () -> a.pingOnce(OVERLAY_B));
                assertThat(sb.endpoint(ka.publicKey())).as("responder learnt the initiator's endpoint")
                        .contains(link.aIp() + ":" + PORT);
                assertThat(sa.latestHandshakeMillis(kb.publicKey())).isPositive();
                assertThat(sb.latestHandshakeMillis(ka.publicKey())).isPositive();
                assertThat(b.pingOnce(OVERLAY_A)).as("ping back responder -> initiator").isTrue();

                Traffic.Transfer t = Traffic.transfer("bulk", a, b, OVERLAY_B, BULK_BYTES, Duration.ofMinutes(3));
                assertThat(t.receivedSha256()).as("SHA-256 of 200 MB at the receiver").isEqualTo(t.sentSha256());
            }
        }
    }

    /**
     * gridmesh initiates with rekey-after-time 5 s while 200 MB flow and a 20/s ping runs: wireguard-go must see
     * at least two new handshakes, the transfer must arrive intact and no second pass without a ping answered.
     * <pre>
     *   gm&lt;run&gt;a                                     gm&lt;run&gt;b
     *  +------------------------------+   veth   +------------------------------+
     *  | gridmesh --rekey-after-time 5s|---------| RESPONDER (wireguard-go or    |
     *  | 198.18.0.1  100.64.0.1       |          |  gridmesh) 198.18.0.2 :51820 |
     *  | ping 20/s + 200 MB sender ---+--------->| 100.64.0.2  receiver, sha256 |
     *  +------------------------------+          +------------------------------+
     * </pre>
     */
    @ParameterizedTest(name = "gridmesh rekeys every 5 s against {0}")
    @EnumSource(Impl.class)
    void rekeyUnderLoad(Impl responder, TestInfo info) {
        try (Lab lab = Lab.open(name(info, responder.name()), "wireguard-go", "wg", "socat", "ss")) {
            Netns a = lab.netns("a");
            Netns b = lab.netns("b");
            Link link = lab.link(a, "198.18.0.1/24", b, "198.18.0.2/24");
            WgKeyPair ka = WgKeyPair.generate(lab);
            WgKeyPair kb = WgKeyPair.generate(lab);
            try (Side sa = start(Impl.GRIDMESH, a, "wa", ka, OVERLAY_A, peer(kb, OVERLAY_B, link.bIp()), SHORT_REKEY);
                    Side sb = start(responder, b, "wb", kb, OVERLAY_B, peer(ka, OVERLAY_A, null), List.of())) {
                lab.await("first ping", Duration.ofSeconds(15), () -> a.pingOnce(OVERLAY_B));
                Traffic.Pinger ping = Traffic.startPing("ping-during-rekeys", a, OVERLAY_B, 360,
                        Duration.ofMillis(50));
                Traffic.RunningTransfer bulk = Traffic.startTransfer("bulk", a, b, OVERLAY_B, BULK_BYTES);
                Set<Long> handshakes = new TreeSet<>();
                lab.await("two rekeys seen by " + sb.label(), Duration.ofSeconds(40), () -> {
                    long h = sb.latestHandshakeMillis(ka.publicKey());
                    if (h > 0) {
                        handshakes.add(h);
                    }
                    return handshakes.size() >= 3;
                });
                lab.note("handshakes seen by responder: " + handshakes);
                Traffic.Transfer t = bulk.await(Duration.ofMinutes(3));
                List<Traffic.Reply> replies = ping.await(Duration.ofSeconds(60));
                assertThat(t.receivedSha256()).as("SHA-256 across rekeys").isEqualTo(t.sentSha256());
                // Under a saturating transfer some pings queue out; what a broken rekey shows is a gap.
                long answered = replies.stream().mapToInt(Traffic.Reply::seq).distinct().count();
                assertThat(answered).as("pings answered across rekeys (of %d)", ping.sent())
                        .isGreaterThanOrEqualTo(ping.sent() * 80L / 100);
                assertThat(Traffic.longestGap(replies, ping.sent())).as("longest run of lost pings (50 ms apart)")
                        .isLessThanOrEqualTo(20);
            }
        }
    }

    /**
     * One side is killed (SIGKILL) during a 10/s ping from the other and started again from its config: traffic
     * resumes (the survivor's "no reply for 15 s: new handshake" timer, or the restarted side's first packet).
     * Both sides know each other's endpoint, as in a site-to-site setup.
     * <pre>
     *   gm&lt;run&gt;a  survivor (pings)            gm&lt;run&gt;b  restarted
     *  +------------------------+   veth   +------------------------+
     *  | 198.18.0.1  100.64.0.1 |----------| 198.18.0.2  100.64.0.2 |  kill -9, start again
     *  +------------------------+          +------------------------+
     * </pre>
     */
    @ParameterizedTest(name = "{0} restarts under a ping from the other implementation")
    @EnumSource(Impl.class)
    void peerRestartMidStream(Impl restarted, TestInfo info) {
        Impl survivor = restarted == Impl.GRIDMESH ? Impl.WIREGUARD_GO : Impl.GRIDMESH;
        try (Lab lab = Lab.open(name(info, restarted.name()), "wireguard-go", "wg", "socat", "ss")) {
            Netns a = lab.netns("a");
            Netns b = lab.netns("b");
            Link link = lab.link(a, "198.18.0.1/24", b, "198.18.0.2/24");
            WgKeyPair ka = WgKeyPair.generate(lab);
            WgKeyPair kb = WgKeyPair.generate(lab);
            try (Side sa = start(survivor, a, "wa", ka, OVERLAY_A, peer(kb, OVERLAY_B, link.bIp()), List.of());
                    Side sb = start(restarted, b, "wb", kb, OVERLAY_B, peer(ka, OVERLAY_A, link.aIp()), List.of())) {
                Traffic.Pinger ping = Traffic.startPing("long-ping", a, OVERLAY_B, 900, Duration.ofMillis(100));
                lab.await("ping answered before the restart", Duration.ofSeconds(15), () -> !ping.replies().isEmpty());
                sb.kill();
                long killedAt = System.currentTimeMillis();
                lab.note(sb.label() + " killed");
                sb.restart();
                lab.note(sb.label() + " restarted");
                lab.await("ping answered again after " + sb.label() + " restarted", Duration.ofSeconds(45),
                        () -> ping.answeredAfter(killedAt));
                ping.stop();
                Traffic.Transfer t = Traffic.transfer("after-restart", b, a, OVERLAY_A, 20L << 20,
                        Duration.ofMinutes(1));
                assertThat(t.receivedSha256()).isEqualTo(t.sentSha256());
            }
        }
    }

    /**
     * The roamer unplugs its direct link and continues behind an endpoint-independent NAT router; the stationary
     * peer must follow the latest authenticated source (the NAT's WAN address), and keep following after the
     * router forgets its state ({@code conntrack -F}).
     * <pre>
     *                      gm&lt;run&gt;inet (router, no NAT)
     *                    +-----------------------------+
     *    direct   .1.1   |                             |  .4.1
     *   +----------------+  198.18.1.0/24  198.18.4.0/24 +---------------------+
     *   |                |  198.18.3.0/24              |                       |
     *   |                +-------------+---------------+                       |
     *   |                         .3.1 |                                       |
     * gm&lt;run&gt;r  roamer              .3.2 |  WAN                    gm&lt;run&gt;s  stationary
     *  198.18.1.2 (direct, unplugged) gm&lt;run&gt;nat  EIM MASQUERADE +    198.18.4.2 UDP 51820
     *  198.18.2.2 --------- LAN .2.1 -- home-router firewall        no endpoint for r
     *  100.64.0.1                                                   100.64.0.2
     * </pre>
     */
    @ParameterizedTest(name = "{0} roams behind a NAT, the other follows")
    @EnumSource(Impl.class)
    void roamingBehindNat(Impl roamer, TestInfo info) {
        Impl stationary = roamer == Impl.GRIDMESH ? Impl.WIREGUARD_GO : Impl.GRIDMESH;
        try (Lab lab = Lab.open(name(info, roamer.name()), "wireguard-go", "wg", "socat", "ss")) {
            Netns r = lab.netns("r");
            Netns nat = lab.netns("nat");
            Netns inet = lab.netns("inet");
            Netns s = lab.netns("s");
            Link direct = lab.link(r, "198.18.1.2/24", inet, "198.18.1.1/24");
            Link lan = lab.link(r, "198.18.2.2/24", nat, "198.18.2.1/24");
            Link wan = lab.link(nat, "198.18.3.2/24", inet, "198.18.3.1/24");
            Link sLink = lab.link(s, "198.18.4.2/24", inet, "198.18.4.1/24");
            inet.enableForwarding();
            r.defaultRoute(direct.bIp());
            nat.defaultRoute(wan.bIp());
            s.defaultRoute(sLink.bIp());
            nat.configureNat(NatKind.ENDPOINT_INDEPENDENT, lan.bIf(), wan.aIf(), "198.18.2.0/24");

            WgKeyPair kr = WgKeyPair.generate(lab);
            WgKeyPair ks = WgKeyPair.generate(lab);
            try (Side sr = start(roamer, r, "wr", kr, OVERLAY_A, peer(ks, OVERLAY_B, sLink.aIp()), List.of());
                    Side ss = start(stationary, s, "ws", ks, OVERLAY_B, peer(kr, OVERLAY_A, null), List.of())) {
                Traffic.Pinger ping = Traffic.startPing("roamer-ping", r, OVERLAY_B, 600, Duration.ofMillis(100));
                lab.await("ping over the direct path", Duration.ofSeconds(15), () -> !ping.replies().isEmpty());
                assertThat(ss.endpoint(kr.publicKey())).contains(direct.aIp() + ":" + PORT);

                r.execOk("ip", "link", "set", direct.aIf(), "down");
                r.defaultRoute(lan.bIp());
                long movedAt = System.currentTimeMillis();
                lab.note("roamer moved behind the NAT");
                lab.await("ping answered after the move", Duration.ofSeconds(20), () -> ping.answeredAfter(movedAt));
                lab.await(ss.label() + " follows to the NAT's address", Duration.ofSeconds(20),
                        () -> ss.endpoint(kr.publicKey()).orElse("").startsWith(wan.aIp() + ":"));
                assertThat(s.pingOnce(OVERLAY_A)).as("stationary -> roamer through the NAT").isTrue();

                nat.flushConntrack();
                long flushedAt = System.currentTimeMillis();
                lab.note("NAT state flushed");
                lab.await("ping answered after conntrack -F", Duration.ofSeconds(20),
                        () -> ping.answeredAfter(flushedAt + 200));
                ping.stop();
            }
        }
    }

    /**
     * A node behind an endpoint-dependent ("symmetric") NAT dials a public peer and keeps the mapping open with
     * PersistentKeepalive = 2; the public peer answers through the mapping. Then the router forgets its state
     * ({@code conntrack -F}): the next keepalive gets a new random port and the public peer must follow it, with a
     * ping from the public side resuming without any traffic from the NATed side's applications.
     * <pre>
     *   gm&lt;run&gt;n  NATed               gm&lt;run&gt;nat                       gm&lt;run&gt;p  public
     *  +------------------+  lan  +---------------------------+  wan  +--------------------+
     *  | 198.18.2.2       |-------| .2.1   MASQUERADE          |-------| 198.18.3.1 :51820  |
     *  | 100.64.0.1       |       |        --random-fully .3.2|       | 100.64.0.2         |
     *  | keepalive 2 s    |       | + home-router firewall    |       | no endpoint for n  |
     *  +------------------+       +---------------------------+       +--------------------+
     * </pre>
     */
    @ParameterizedTest(name = "{0} behind a symmetric NAT")
    @EnumSource(Impl.class)
    void behindSymmetricNatWithKeepalive(Impl natted, TestInfo info) {
        Impl outside = natted == Impl.GRIDMESH ? Impl.WIREGUARD_GO : Impl.GRIDMESH;
        try (Lab lab = Lab.open(name(info, natted.name()), "wireguard-go", "wg", "socat", "ss")) {
            Netns n = lab.netns("n");
            Netns nat = lab.netns("nat");
            Netns p = lab.netns("p");
            Link lan = lab.link(n, "198.18.2.2/24", nat, "198.18.2.1/24");
            Link wan = lab.link(nat, "198.18.3.2/24", p, "198.18.3.1/24");
            n.defaultRoute(lan.bIp());
            nat.configureNat(NatKind.ENDPOINT_DEPENDENT, lan.bIf(), wan.aIf(), "198.18.2.0/24");

            WgKeyPair kn = WgKeyPair.generate(lab);
            WgKeyPair kp = WgKeyPair.generate(lab);
            WireguardGo.Peer toP = new WireguardGo.Peer(kp.publicKey(), OVERLAY_B + "/32", wan.bIp() + ":" + PORT, 2);
            try (Side sn = start(natted, n, "wn", kn, OVERLAY_A, toP, List.of());
                    Side sp = start(outside, p, "wp", kp, OVERLAY_B, peer(kn, OVERLAY_A, null), List.of())) {
                lab.await("ping from behind the NAT", Duration.ofSeconds(15), () -> n.pingOnce(OVERLAY_B));
                String first = sp.endpoint(kn.publicKey()).orElse("");
                assertThat(first).as("%s sees the NAT's WAN address", sp.label()).startsWith(wan.aIp() + ":");
                assertThat(p.pingOnce(OVERLAY_A)).as("public -> NATed through the mapping").isTrue();

                nat.flushConntrack();
                long flushedAt = System.currentTimeMillis();
                lab.note("NAT state flushed; " + sp.label() + " had " + first);
                Traffic.Pinger ping = Traffic.startPing("public-ping", p, OVERLAY_A, 300, Duration.ofMillis(100));
                lab.await("public side's ping answered after conntrack -F (next keepalive)", Duration.ofSeconds(20),
                        () -> ping.answeredAfter(flushedAt + 100));
                ping.stop();
                lab.await(sp.label() + " follows to the new mapping", Duration.ofSeconds(15), () -> {
                    String now = sp.endpoint(kn.publicKey()).orElse(first);
                    return !now.equals(first) && now.startsWith(wan.aIp() + ":");
                });
            }
        }
    }

    static WireguardGo.Peer peer(WgKeyPair key, String overlayIp, String endpointIp) {
        return new WireguardGo.Peer(key.publicKey(), overlayIp + "/32",
                endpointIp == null ? null : endpointIp + ":" + PORT, 0);
    }

    static Side start(Impl impl, Netns ns, String role, WgKeyPair key, String overlayIp, WireguardGo.Peer peer,
            List<String> gridmeshArgs) {
        String ifname = ns.lab().globalIfname(role);
        return switch (impl) {
            case GRIDMESH -> new Side.Gm(GridmeshNode.start(ns, ifname, key, PORT, overlayIp + "/24", List.of(peer),
                    gridmeshArgs));
            case WIREGUARD_GO -> {
                WireguardGo wg = WireguardGo.start(ns, ifname, key, PORT, overlayIp + "/24");
                wg.setPeer(peer);
                yield new Side.Go(wg);
            }
        };
    }

    static String name(TestInfo info, String variant) {
        return info.getTestClass().map(Class::getSimpleName).orElse("test") + "."
                + info.getTestMethod().map(java.lang.reflect.Method::getName).orElse("x") + "-" + variant;
    }
}
