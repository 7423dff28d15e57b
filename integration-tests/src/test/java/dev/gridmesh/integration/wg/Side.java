package dev.gridmesh.integration.wg;

import dev.gridmesh.testsupport.lab.Netns;
import dev.gridmesh.testsupport.lab.WgKeyPair;
import dev.gridmesh.testsupport.lab.WireguardGo;
import java.util.Optional;

/** One end of a tunnel under test, whichever implementation runs it, seen the same way by the scenarios. */
sealed interface Side extends AutoCloseable {
    Netns netns();

    WgKeyPair key();

    /** Latest handshake with the peer, epoch milliseconds (second resolution for wireguard-go), 0 = never. */
    long latestHandshakeMillis(String peerPublicKey);

    Optional<String> endpoint(String peerPublicKey);

    void kill();

    void restart();

    String label();

    @Override
    void close();

    record Go(WireguardGo wg) implements Side {
        @Override public Netns netns() { return wg.netns(); }
        @Override public WgKeyPair key() { return wg.key(); }
        @Override public long latestHandshakeMillis(String k) { return wg.latestHandshake(k) * 1000; }
        @Override public Optional<String> endpoint(String k) { return wg.endpoint(k); }
        @Override public void kill() { wg.kill(); }
        @Override public void restart() { wg.restart(); }
        @Override public String label() { return "wireguard-go"; }
        @Override public void close() { wg.close(); }
    }

    record Gm(GridmeshNode node) implements Side {
        @Override public Netns netns() { return node.netns(); }
        @Override public WgKeyPair key() { return node.key(); }
        @Override public long latestHandshakeMillis(String k) { return node.latestHandshakeMillis(k); }
        @Override public Optional<String> endpoint(String k) { return node.endpoint(k); }
        @Override public void kill() { node.kill(); }
        @Override public void restart() { node.restart(); }
        @Override public String label() { return "gridmesh"; }
        @Override public void close() { node.close(); }
    }
}
