package dev.gridmesh.integration.relay;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gridmesh.testsupport.lab.Lab;
import dev.gridmesh.testsupport.lab.LabProcess;
import dev.gridmesh.testsupport.lab.NatKind;
import dev.gridmesh.testsupport.portmap.MiniupnpdRouter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * NAT traversal end to end with real agents (topology: {@link PathLab}). For every cell of {NO NAT (routed),
 * endpoint-independent (MASQUERADE), endpoint-dependent (MASQUERADE --random-fully), UDP blocked} on alpha's side x
 * the same on beta's side, the agents are started fresh and the test asserts whether the path turns direct or stays
 * on the relay, and that an ICMP ping over the mesh and a disco ping ({@code ping} local API op) work either way.
 * Then: both agents behind the same NAT (LAN path), and alpha behind a miniupnpd router facing an endpoint-dependent
 * NAT (port mapping turns that cell direct).
 *
 * <p>Expectation: direct when neither side blocks UDP and (one side has no NAT, or at least one side is
 * endpoint-independent, or one side has a port mapping). The home-router firewall of every NAT kind filters by
 * address and port, so "endpoint-independent x endpoint-dependent" needs birthday punching: the hard side's mapping
 * toward us is unknowable from one socket, so it sprays pings from 256 extra sockets while the easy side pings 1024
 * random ports of its public address (see docs/direct-paths.md). Only "endpoint-dependent x endpoint-dependent"
 * (and UDP blocked) stay relayed. The probes column counts every disco ping both agents sent (birthday ones too).
 *
 * <p>A relayed cell is judged 4 s after both agents see each other online (direct cells go direct within ~1 s;
 * birthday cells, which first need both netchecks and a call-me-maybe exchange, get {@link #BIRTHDAY_WINDOW}).
 * By default (CI budget: each cell restarts two agent JVMs, ~10-18 s a cell on two shared cores) 6 representative
 * cells run plus the same-NAT and miniupnpd cells; {@code -Dgridmesh.it.matrix=full} runs all 16,
 * {@code -Dgridmesh.it.matrix=birthday} only EIM x EIM, EIM x EDM, EDM x EIM, EDM x EDM.
 * {@code -Dgridmesh.it.matrix.iperf=true} adds a 3 s iperf3 TCP run each way over the mesh per cell (alpha -> beta,
 * then reverse), printed in the table: a birthday path's extra socket does not batch its sends.
 * Run: {@code mvn -o -pl integration-tests test -Pit -Dtest=DirectPathMatrixTest}. Logs:
 * {@code integration-tests/target/netns-logs/direct-path-matrix/} ({@code commands.log} has the result table).
 */
@Tag("netns")
class DirectPathMatrixTest {
    static final NatKind[] KINDS = {NatKind.ROUTED, NatKind.ENDPOINT_INDEPENDENT, NatKind.ENDPOINT_DEPENDENT,
            NatKind.UDP_BLOCKED};
    static final Duration RELAYED_WINDOW = Duration.ofSeconds(4);
    static final Duration BIRTHDAY_WINDOW = Duration.ofSeconds(20);

    @BeforeAll
    static void build() {
        Lab.requirePreconditions("socat", "ss", "conntrack", "turnserver", "miniupnpd", "nft");
        if (IPERF) {
            Lab.requirePreconditions("iperf3");
        }
        GridmeshCli.ensureBuilt();
    }

    record Cell(String a, String b, boolean expectDirect, String path, long toDirectMillis, long probes,
            String pingPath, double pingRtt, String iperf) {
        String row() {
            return String.format(Locale.ROOT, "| %-22s | %-22s | %-8s | %-8s | %8s | %6d | %s %s |%s", a, b,
                    expectDirect ? "direct" : "relayed", path, toDirectMillis < 0 ? "-" : toDirectMillis + " ms", probes,
                    pingPath, pingRtt < 0 ? "timeout" : String.format(Locale.ROOT, "%.2f ms", pingRtt),
                    iperf == null ? "" : " " + iperf + " |");
        }
    }

    static final boolean IPERF = Boolean.getBoolean("gridmesh.it.matrix.iperf");

    static boolean expectDirect(NatKind x, NatKind y) {
        if (x == NatKind.UDP_BLOCKED || y == NatKind.UDP_BLOCKED) {
            return false;
        }
        return x == NatKind.ROUTED || y == NatKind.ROUTED
                || x == NatKind.ENDPOINT_INDEPENDENT || y == NatKind.ENDPOINT_INDEPENDENT;
    }

    /** One side endpoint-independent, the other endpoint-dependent: birthday punching. */
    static boolean birthday(NatKind x, NatKind y) {
        return x == NatKind.ENDPOINT_INDEPENDENT && y == NatKind.ENDPOINT_DEPENDENT
                || x == NatKind.ENDPOINT_DEPENDENT && y == NatKind.ENDPOINT_INDEPENDENT;
    }

    static List<NatKind[]> cells() {
        List<NatKind[]> l = new ArrayList<>();
        if ("birthday".equals(System.getProperty("gridmesh.it.matrix"))) { // with .iperf: the birthday path's cost
            l.add(new NatKind[] {NatKind.ENDPOINT_INDEPENDENT, NatKind.ENDPOINT_INDEPENDENT});
            l.add(new NatKind[] {NatKind.ENDPOINT_INDEPENDENT, NatKind.ENDPOINT_DEPENDENT});
            l.add(new NatKind[] {NatKind.ENDPOINT_DEPENDENT, NatKind.ENDPOINT_INDEPENDENT});
            l.add(new NatKind[] {NatKind.ENDPOINT_DEPENDENT, NatKind.ENDPOINT_DEPENDENT});
            return l;
        }
        if (!"full".equals(System.getProperty("gridmesh.it.matrix"))) {
            l.add(new NatKind[] {NatKind.ROUTED, NatKind.ROUTED});
            l.add(new NatKind[] {NatKind.ENDPOINT_INDEPENDENT, NatKind.ENDPOINT_INDEPENDENT});
            l.add(new NatKind[] {NatKind.ROUTED, NatKind.ENDPOINT_DEPENDENT});
            l.add(new NatKind[] {NatKind.ENDPOINT_INDEPENDENT, NatKind.ENDPOINT_DEPENDENT});
            l.add(new NatKind[] {NatKind.ENDPOINT_DEPENDENT, NatKind.ENDPOINT_INDEPENDENT});
            l.add(new NatKind[] {NatKind.ENDPOINT_DEPENDENT, NatKind.ENDPOINT_DEPENDENT});
            l.add(new NatKind[] {NatKind.UDP_BLOCKED, NatKind.ROUTED});
            return l;
        }
        for (NatKind x : KINDS) {
            for (NatKind y : KINDS) {
                l.add(new NatKind[] {x, y});
            }
        }
        // two more EIM x EIM runs: a median of three for the time to the first direct path
        l.add(new NatKind[] {NatKind.ENDPOINT_INDEPENDENT, NatKind.ENDPOINT_INDEPENDENT});
        l.add(new NatKind[] {NatKind.ENDPOINT_INDEPENDENT, NatKind.ENDPOINT_INDEPENDENT});
        return l;
    }

    @Test
    void matrixSameNatAndPortMapping() {
        try (Lab lab = Lab.open("direct-path-matrix", "socat", "ss", "conntrack", "turnserver", "miniupnpd", "nft");
                PathLab pl = new PathLab(lab)) {
            pl.startRelayAndStun();
            List<Cell> results = new ArrayList<>();
            List<String> failures = new ArrayList<>();
            for (NatKind[] k : cells()) {
                PathLab.reconfigure(pl.na, k[0], pl.aLan, pl.aWan, "198.18.0.0/16");
                PathLab.reconfigure(pl.nb, k[1], pl.bLan, pl.bWan, "198.18.2.0/24");
                Cell cell = runCell(pl, name(k[0]), name(k[1]), expectDirect(k[0], k[1]), false,
                        birthday(k[0], k[1]) ? BIRTHDAY_WINDOW : RELAYED_WINDOW);
                results.add(cell);
                lab.note("cell " + cell.row());
                if (!cell.path().equals(cell.expectDirect() ? "direct" : "relay")) {
                    failures.add(cell.row());
                }
            }
            // both behind one endpoint-dependent NAT: alpha (198.18.1.2) and gamma (198.18.3.2) on two LANs of it
            PathLab.reconfigure(pl.na, NatKind.ENDPOINT_DEPENDENT, pl.aLan, pl.aWan, "198.18.0.0/16");
            Cell same = runCell(pl, "same NAT (EDM), alpha", "gamma (LAN path)", true, true, RELAYED_WINDOW);
            results.add(same);
            if (!same.path().equals("direct")) {
                failures.add(same.row());
            }
            // alpha behind miniupnpd (MASQUERADE + port mapping) x beta behind --random-fully
            pl.inet.execOk("ip", "addr", "add", "198.18.10.5/24", "dev", pl.aWan.bIf());
            pl.inet.execOk("ip", "addr", "add", "198.18.10.6/24", "dev", pl.aWan.bIf());
            PathLab.reconfigure(pl.na, NatKind.ROUTED, pl.aLan, pl.aWan, "198.18.0.0/16");
            pl.na.sh("sysctl -q -w net.ipv4.ip_forward=1");
            MiniupnpdRouter.start(lab, pl.na, pl.aLan.bIf(), "198.18.1.0/24", pl.aWan.aIf(), pl.inet,
                    "198.18.10.5", "198.18.10.6");
            PathLab.reconfigure(pl.nb, NatKind.ENDPOINT_DEPENDENT, pl.bLan, pl.bWan, "198.18.2.0/24");
            Cell upnp = runCell(pl, "miniupnpd (EIM+portmap)", name(NatKind.ENDPOINT_DEPENDENT), true, false,
                    RELAYED_WINDOW);
            results.add(upnp);
            if (!upnp.path().equals("direct")) {
                failures.add(upnp.row());
            }
            StringBuilder table = new StringBuilder("\n| alpha side | beta side | expected | path | to direct | probes | gridmesh ping |"
                    + (IPERF ? " iperf3 a->b / b->a Mbit/s |" : "") + "\n");
            results.forEach(r -> table.append(r.row()).append('\n'));
            lab.note(table.toString());
            System.out.println("DIRECT PATH MATRIX" + table);
            assertThat(failures).as("cells whose path differs from the expectation").isEmpty();
            assertThat(results).allSatisfy(r -> assertThat(r.pingRtt()).as("disco ping in " + r.row()).isGreaterThanOrEqualTo(0));
        }
    }

    static String name(NatKind k) {
        return switch (k) {
            case ROUTED -> "no NAT";
            case ENDPOINT_INDEPENDENT -> "EIM (MASQUERADE)";
            case ENDPOINT_DEPENDENT -> "EDM (--random-fully)";
            case UDP_BLOCKED -> "UDP blocked";
        };
    }

    private static int cellNo;

    /** Starts alpha and beta (or gamma), waits for the verdict, pings both ways, stops them. */
    static Cell runCell(PathLab pl, String aName, String bName, boolean expectDirect, boolean gamma, Duration window) {
        Lab lab = pl.lab;
        int n = ++cellNo;
        String peerName = gamma ? "gamma" : "beta";
        String peerDir = gamma ? pl.dirC : pl.dirB;
        LabProcess pa = pl.agent(pl.a, "alpha-" + n, "alpha", pl.dirA, "198.18.10.1");
        LabProcess pb = gamma ? pl.agent(pl.c, "gamma-" + n, "gamma", pl.dirC, "198.18.10.1")
                : pl.agent(pl.b, "beta-" + n, "beta", pl.dirB, "198.18.20.1");
        try {
            lab.await(aName + " x " + bName + ": both agents see each other online", Duration.ofSeconds(60),
                    () -> PathLab.online(pl.dirA, peerName) && PathLab.online(peerDir, "alpha"));
            long bothOnline = Math.max(
                    PathLab.peer(PathLab.status(pl.dirA), peerName).path("pathInfo").path("onlineSinceEpochMillis").asLong(),
                    PathLab.peer(PathLab.status(peerDir), "alpha").path("pathInfo").path("onlineSinceEpochMillis").asLong());
            long deadline = System.currentTimeMillis() + window.toMillis() + (expectDirect ? 2000 : 0);
            String path = "relay";
            while (System.currentTimeMillis() < deadline) {
                if ("direct".equals(PathLab.path(pl.dirA, peerName)) && "direct".equals(PathLab.path(peerDir, "alpha"))) {
                    path = "direct";
                    break;
                }
                java.util.concurrent.locks.LockSupport.parkNanos(20_000_000);
            }
            JsonNode pA = PathLab.peer(PathLab.status(pl.dirA), peerName);
            JsonNode pB = PathLab.peer(PathLab.status(peerDir), "alpha");
            long firstDirect = Math.min(directSince(pA), directSince(pB));
            long toDirect = firstDirect == Long.MAX_VALUE ? -1 : Math.max(0, firstDirect - bothOnline);
            long probes = pA.path("pathInfo").path("probesSent").asLong() + pB.path("pathInfo").path("probesSent").asLong();
            lab.note(aName + " x " + bName + ": alpha sees " + pA + "\n  " + peerName + " sees " + pB);
            // ICMP over the mesh, whatever the path
            String ipB = pA.path("overlayIp").asText();
            lab.await("ICMP alpha -> " + peerName + " over the mesh", Duration.ofSeconds(15), () -> pl.a.pingOnce(ipB));
            JsonNode ping = PathLab.api(pl.dirA, "ping", "{\"peer\":\"" + peerName + "\",\"count\":1,\"timeoutMillis\":2000}");
            JsonNode reply = ping == null ? null : ping.path("replies").path(0);
            String pingPath = reply == null ? "error" : reply.path("path").asText()
                    + (reply.path("endpoint").isTextual() ? " " + reply.path("endpoint").asText() : "");
            double rtt = reply == null ? -1 : reply.path("rttMillis").asDouble(-1);
            String iperf = IPERF ? iperf(pl, gamma ? pl.c : pl.b, ipB) : null;
            return new Cell(aName, bName, expectDirect, path, "direct".equals(path) ? toDirect : -1, probes, pingPath, rtt,
                    iperf);
        } finally {
            pa.stop();
            pb.stop();
        }
    }

    /** 3 s of iperf3 TCP each way, alpha -> peer then reverse; "a / b" in Mbit/s ("-" when a run failed). */
    static String iperf(PathLab pl, dev.gridmesh.testsupport.lab.Netns peerNs, String peerIp) {
        LabProcess server = peerNs.spawn("iperf3-server-" + cellNo, List.of("iperf3", "-s", "-B", peerIp, "-1"));
        try {
            pl.lab.await("iperf3 server", Duration.ofSeconds(10), () -> peerNs.exec("ss", "-ltn").stdout().contains(peerIp + ":5201"));
            String fwd = mbits(pl.a.exec("iperf3", "-c", peerIp, "-t", "3", "-J").stdout());
            server.stop();
            server = peerNs.spawn("iperf3-server-r-" + cellNo, List.of("iperf3", "-s", "-B", peerIp, "-1"));
            pl.lab.await("iperf3 server", Duration.ofSeconds(10), () -> peerNs.exec("ss", "-ltn").stdout().contains(peerIp + ":5201"));
            String rev = mbits(pl.a.exec("iperf3", "-c", peerIp, "-t", "3", "-R", "-J").stdout());
            return fwd + " / " + rev;
        } finally {
            server.stop();
        }
    }

    static String mbits(String json) {
        try {
            JsonNode n = PathLab.JSON.readTree(json).path("end").path("sum_received").path("bits_per_second");
            return n.isNumber() ? String.format(Locale.ROOT, "%.0f", n.asDouble() / 1e6) : "-";
        } catch (java.io.IOException e) {
            return "-";
        }
    }

    static long directSince(JsonNode peer) {
        long t = peer.path("pathInfo").path("directSinceEpochMillis").asLong();
        return t == 0 ? Long.MAX_VALUE : t;
    }
}
