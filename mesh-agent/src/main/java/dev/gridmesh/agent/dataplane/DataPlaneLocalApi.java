package dev.gridmesh.agent.dataplane;

import dev.gridmesh.agent.localapi.LocalApiHandler;
import dev.gridmesh.agent.localapi.LocalApiProtocol;
import dev.gridmesh.agent.localapi.ShowResponse;
import dev.gridmesh.protocol.net.IpPrefix;
import dev.gridmesh.protocol.wg.WgPeerStatus;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** The local API operations a data plane serves: {@code show}. Pass {@link #handlers} to {@code LocalApiServer.start}. */
public final class DataPlaneLocalApi {
    private DataPlaneLocalApi() {
    }

    public static Map<String, LocalApiHandler> handlers(DataPlane dataPlane) {
        return Map.of(LocalApiProtocol.OP_SHOW, params -> show(dataPlane.status()),
                LocalApiProtocol.OP_STATS, params -> stats(dataPlane.status()));
    }

    /** The {@code stats} result: transport and non-zero drop counters by reason. */
    public static Stats stats(DataPlaneStatus s) {
        return new Stats(s.interfaceName(), s.transport(), s.drops());
    }

    /**
     * Result of {@code stats}.
     *
     * @param transport {@code epoll} or {@code nio}
     * @param drops     {@code engine.<DropReason>} and {@code io.<IoDrop>} counters, only non-zero ones
     */
    public record Stats(String interfaceName, String transport, Map<String, Long> drops) {
    }

    /** The {@code show} result for a status snapshot. */
    public static ShowResponse show(DataPlaneStatus s) {
        List<ShowResponse.PeerInfo> peers = new ArrayList<>();
        for (WgPeerStatus p : s.peers()) {
            peers.add(new ShowResponse.PeerInfo(p.publicKey().toBase64(), endpoint(p.endpoint()),
                    p.allowedIps().stream().map(DataPlaneLocalApi::prefix).toList(), p.lastHandshakeEpochMillis(),
                    p.rxBytes(), p.txBytes(), p.persistentKeepaliveSeconds(), p.hasPresharedKey()));
        }
        return new ShowResponse(new ShowResponse.InterfaceInfo(s.interfaceName(), s.publicKey().toBase64(),
                s.listenPort(), s.addresses().stream().map(a -> address(a.hostAddress()) + "/" + a.bits()).toList(),
                s.mtu()), peers);
    }

    /** {@code 1.2.3.4:51820} or {@code [2001:db8::1]:51820}; null when unknown. */
    public static String endpoint(InetSocketAddress a) {
        if (a == null) {
            return null;
        }
        String host = a.getAddress() == null ? a.getHostString() : address(a.getAddress());
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + a.getPort();
    }

    /** A prefix in network form, IPv6 compressed as {@code wg show} prints it: {@code fd7a:115c::/48}. */
    public static String prefix(IpPrefix p) {
        return address(p.network()) + "/" + p.bits();
    }

    /** IPv4 dotted; IPv6 in RFC 5952 form (see {@link IpPrefix#formatAddress}). */
    public static String address(InetAddress a) {
        return IpPrefix.formatAddress(a.getAddress());
    }
}
