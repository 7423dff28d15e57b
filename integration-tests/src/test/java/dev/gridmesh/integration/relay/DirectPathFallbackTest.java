package dev.gridmesh.integration.relay;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gridmesh.testsupport.lab.Lab;
import dev.gridmesh.testsupport.lab.LabProcess;
import dev.gridmesh.testsupport.lab.NatKind;
import dev.gridmesh.testsupport.lab.Netns;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Path switches under a running TCP connection. Alpha and beta behind endpoint-independent NATs (topology:
 * {@link PathLab}); the internet first drops UDP between the two NATs, so the agents start on the relay; a TCP
 * stream (one line every 50 ms, over the mesh) starts; then:
 * <pre>
 *   1. UDP allowed          -> direct           (time measured)
 *   2. UDP dropped again    -> relay (fallback)  (time from the drop, target under 5 s)
 *   3. UDP allowed          -> direct again
 *   4. conntrack -F on beta's NAT -> whatever the path does (fallback time if it falls back), then direct
 *   5. a long outage: UDP dropped for {@link #LONG_OUTAGE} while the stream runs (sessions keep giving up), then
 *      allowed + one `gridmesh ping` (local API) -> direct again quickly (time measured, target under 10 s): the
 *      ping's punch, like the stream's traffic, resets the retry backoff instead of waiting out a doubled delay
 *   6. beta's NAT becomes --random-fully (its public port changes) -> relay (time measured; EIM x EDM may then
 *      go direct again by birthday punching)
 *   7. the stream ends: every line arrived once, in order (the TCP connection survived every switch)
 * </pre>
 * Run: {@code mvn -o -pl integration-tests test -Pit -Dtest=DirectPathFallbackTest}.
 */
@Tag("netns")
class DirectPathFallbackTest {
    static final String DROP = "iptables %s FORWARD -p udp -s 198.18.10.0/24 -d 198.18.20.0/24 -j DROP; "
            + "iptables %s FORWARD -p udp -s 198.18.20.0/24 -d 198.18.10.0/24 -j DROP";
    /** Long enough for several punch sessions (10 s each) to give up and the old backoff to reach 20-40 s. */
    static final Duration LONG_OUTAGE = Duration.ofSeconds(40);

    @BeforeAll
    static void build() {
        Lab.requirePreconditions("socat", "ss", "conntrack", "turnserver");
        GridmeshCli.ensureBuilt();
    }

    @Test
    void tcpSurvivesRelayDirectRelayDirect() {
        try (Lab lab = Lab.open("direct-path-fallback", "socat", "ss", "conntrack", "turnserver");
                PathLab pl = new PathLab(lab)) {
            pl.startRelayAndStun();
            PathLab.reconfigure(pl.na, NatKind.ENDPOINT_INDEPENDENT, pl.aLan, pl.aWan, "198.18.0.0/16");
            PathLab.reconfigure(pl.nb, NatKind.ENDPOINT_INDEPENDENT, pl.bLan, pl.bWan, "198.18.2.0/24");
            Netns inet = pl.inet;
            inet.shOk(String.format(DROP, "-I", "-I"));
            LabProcess pa = pl.agent(pl.a, "alpha", "alpha", pl.dirA, "198.18.10.1");
            LabProcess pb = pl.agent(pl.b, "beta", "beta", pl.dirB, "198.18.20.1");
            LabProcess rx = null;
            LabProcess tx = null;
            try {
                lab.await("both online", Duration.ofSeconds(90),
                        () -> PathLab.online(pl.dirA, "beta") && PathLab.online(pl.dirB, "alpha"));
                String ipB = PathLab.peer(PathLab.status(pl.dirA), "beta").path("overlayIp").asText();
                lab.await("ICMP over the relay", Duration.ofSeconds(20), () -> pl.a.pingOnce(ipB));
                assertThat(PathLab.path(pl.dirA, "beta")).isEqualTo("relay");

                Path received = lab.file("stream.received");
                Path stop = lab.file("stream.stop");
                deleteIfExists(stop);
                rx = pl.b.spawnSh("stream-rx", "exec socat -u TCP-LISTEN:7000,reuseaddr OPEN:" + received + ",creat,trunc");
                lab.await("receiver listening", Duration.ofSeconds(10), () -> pl.b.exec("ss", "-ltn").stdout().contains(":7000"));
                tx = pl.a.spawnSh("stream-tx", "i=0; while [ ! -e " + stop + " ] && [ $i -lt 20000 ]; do echo line-$i;"
                        + " i=$((i+1)); sleep 0.05; done | socat -u - TCP:" + ipB + ":7000; echo sender-exit=$?");
                lab.await("stream flowing over the relay", Duration.ofSeconds(20), () -> size(received) > 100);

                // 1. relay -> direct
                long t1 = System.currentTimeMillis();
                inet.shOk(String.format(DROP, "-D", "-D"));
                lab.await("direct after UDP is allowed", Duration.ofSeconds(30),
                        () -> "direct".equals(PathLab.path(pl.dirA, "beta")) && "direct".equals(PathLab.path(pl.dirB, "alpha")));
                long toDirect1 = directSince(pl.dirA, "beta") - t1;
                // 2. direct -> relay
                long t2 = System.currentTimeMillis();
                inet.shOk(String.format(DROP, "-I", "-I"));
                lab.await("fallback to the relay", Duration.ofSeconds(10), () -> "relay".equals(PathLab.path(pl.dirA, "beta")));
                long fallback = relaySince(pl.dirA, "beta") - t2;
                assertThat(fallback).as("fallback after UDP loss (ms)").isLessThan(5000);
                long lines2 = lines(received);
                lab.await("stream still flowing on the relay", Duration.ofSeconds(10), () -> lines(received) > lines2 + 20);
                // 3. relay -> direct
                long t3 = System.currentTimeMillis();
                inet.shOk(String.format(DROP, "-D", "-D"));
                lab.await("direct again", Duration.ofSeconds(30), () -> "direct".equals(PathLab.path(pl.dirA, "beta")));
                long toDirect2 = directSince(pl.dirA, "beta") - t3;
                // 4. conntrack -F on beta's NAT
                int relayBefore = PathLab.peer(PathLab.status(pl.dirA), "beta").path("pathInfo").path("toRelay").asInt();
                long t4 = System.currentTimeMillis();
                pl.nb.flushConntrack();
                long deadline = t4 + 8000;
                boolean fellBack = false;
                while (System.currentTimeMillis() < deadline) {
                    JsonNode p = PathLab.peer(PathLab.status(pl.dirA), "beta");
                    if (p.path("pathInfo").path("toRelay").asInt() > relayBefore) {
                        fellBack = true;
                        break;
                    }
                    java.util.concurrent.locks.LockSupport.parkNanos(20_000_000);
                }
                long flushFallback = fellBack ? relaySince(pl.dirA, "beta") - t4 : -1;
                lab.await("direct after the flush", Duration.ofSeconds(30), () -> "direct".equals(PathLab.path(pl.dirA, "beta")));
                long lines4 = lines(received);
                lab.await("stream flowing after the flush", Duration.ofSeconds(10), () -> lines(received) > lines4 + 20);
                // 5. a long outage, then UDP back and one `gridmesh ping`: the return must not wait out a long backoff
                inet.shOk(String.format(DROP, "-I", "-I"));
                lab.await("fallback at the start of the long outage", Duration.ofSeconds(10),
                        () -> "relay".equals(PathLab.path(pl.dirA, "beta")));
                long outageEnd = System.currentTimeMillis() + LONG_OUTAGE.toMillis();
                lab.await("the long outage (" + LONG_OUTAGE.toSeconds() + " s) passes", LONG_OUTAGE.plusSeconds(5),
                        () -> System.currentTimeMillis() >= outageEnd);
                JsonNode beforeReturn = PathLab.peer(PathLab.status(pl.dirA), "beta").path("pathInfo");
                long t5 = System.currentTimeMillis();
                inet.shOk(String.format(DROP, "-D", "-D"));
                JsonNode ping5 = PathLab.api(pl.dirA, "ping", "{\"peer\":\"beta\",\"count\":1,\"timeoutMillis\":2000}");
                assertThat(ping5).as("gridmesh ping through the relay").isNotNull();
                lab.await("direct again after the long outage", Duration.ofSeconds(30),
                        () -> "direct".equals(PathLab.path(pl.dirA, "beta")) && "direct".equals(PathLab.path(pl.dirB, "alpha")));
                long returnAfterOutage = Math.max(directSince(pl.dirA, "beta"), directSince(pl.dirB, "alpha")) - t5;
                assertThat(returnAfterOutage).as("return to direct after a long outage (ms)").isLessThan(10_000);
                long lines5b = lines(received);
                lab.await("stream flowing after the long outage", Duration.ofSeconds(10), () -> lines(received) > lines5b + 20);
                // 6. beta's NAT turns endpoint-dependent: its public port changes, the direct path is dead both ways
                int relayBefore5 = PathLab.peer(PathLab.status(pl.dirA), "beta").path("pathInfo").path("toRelay").asInt();
                long t6 = System.currentTimeMillis();
                PathLab.reconfigure(pl.nb, NatKind.ENDPOINT_DEPENDENT, pl.bLan, pl.bWan, "198.18.2.0/24");
                lab.await("fallback after beta's public port changed", Duration.ofSeconds(10), () ->
                        PathLab.peer(PathLab.status(pl.dirA), "beta").path("pathInfo").path("toRelay").asInt() > relayBefore5);
                long portChangeFallback = relaySince(pl.dirA, "beta") - t6;
                assertThat(portChangeFallback).as("fallback after a port change (ms)").isLessThan(5000);
                long lines5 = lines(received);
                lab.await("stream flowing on the relay after the port change", Duration.ofSeconds(15),
                        () -> lines(received) > lines5 + 20);
                // 7. end of stream
                Files.writeString(stop, "stop");
                LabProcess sender = tx;
                lab.await("sender done", Duration.ofSeconds(15), () -> !sender.isAlive());
                LabProcess receiver = rx;
                lab.await("receiver done", Duration.ofSeconds(15), () -> !receiver.isAlive());
                assertThat(tx.stdout()).contains("sender-exit=0");
                List<String> got = Files.readAllLines(received);
                for (int i = 0; i < got.size(); i++) {
                    assertThat(got.get(i)).as("line " + i).isEqualTo("line-" + i);
                }
                JsonNode pA = PathLab.peer(PathLab.status(pl.dirA), "beta");
                String summary = String.format("FALLBACK RESULTS (EIM x EIM): relay->direct %d ms after UDP allowed;"
                        + " direct->relay %d ms after UDP dropped; relay->direct again %d ms; conntrack -F on beta's"
                        + " NAT: %s; after a %d s outage (path stats then: %s), UDP allowed + one gridmesh ping:"
                        + " direct again after %d ms; beta's NAT turned --random-fully (public port changed):"
                        + " fell back after %d ms;"
                        + " TCP stream: %d lines over %d s, none lost or reordered; alpha's path stats: %s",
                        toDirect1, fallback, toDirect2,
                        fellBack ? "fell back after " + flushFallback + " ms, direct again" : "path kept (no fallback)",
                        LONG_OUTAGE.toSeconds(), beforeReturn, returnAfterOutage, portChangeFallback,
                        got.size(), got.size() / 20, pA.path("pathInfo"));
                lab.note(summary);
                System.out.println(summary);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } finally {
                if (tx != null) {
                    tx.stop();
                }
                if (rx != null) {
                    rx.stop();
                }
                pa.stop();
                pb.stop();
            }
        }
    }

    static long directSince(String dir, String peer) {
        return PathLab.peer(PathLab.status(dir), peer).path("pathInfo").path("directSinceEpochMillis").asLong();
    }

    static long relaySince(String dir, String peer) {
        return PathLab.peer(PathLab.status(dir), peer).path("pathInfo").path("relaySinceEpochMillis").asLong();
    }

    static long size(Path p) {
        try {
            return Files.exists(p) ? Files.size(p) : 0;
        } catch (IOException e) {
            return 0;
        }
    }

    static long lines(Path p) {
        try {
            return Files.exists(p) ? Files.readAllLines(p).size() : 0;
        } catch (IOException e) {
            return 0;
        }
    }

    static void deleteIfExists(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
