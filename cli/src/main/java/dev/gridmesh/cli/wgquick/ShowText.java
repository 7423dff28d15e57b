package dev.gridmesh.cli.wgquick;

import dev.gridmesh.agent.localapi.ShowResponse;
import dev.gridmesh.agent.localapi.ShowResponse.InterfaceInfo;
import dev.gridmesh.agent.localapi.ShowResponse.PeerInfo;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;

/**
 * Formats a {@link ShowResponse} the way {@code wg show} does: interface block, then one block per peer, peers with
 * the most recent handshake first; lines for absent values (no endpoint, never a handshake, no traffic, keepalive
 * off) are left out, as wg leaves them out. Private and pre-shared keys are never shown ({@code (hidden)}).
 */
final class ShowText {
    private ShowText() {}

    static String format(ShowResponse r, long nowEpochMillis) {
        StringBuilder sb = new StringBuilder();
        InterfaceInfo i = r.iface();
        sb.append("interface: ").append(i.name()).append('\n');
        sb.append("  public key: ").append(i.publicKey()).append('\n');
        sb.append("  private key: (hidden)\n");
        if (i.listenPort() != 0) {
            sb.append("  listening port: ").append(i.listenPort()).append('\n');
        }
        peers(sb, r, nowEpochMillis);
        return sb.toString();
    }

    /** What {@code wg-quick up} prints once the interface is up: the show form plus addresses, MTU, file, socket. */
    static String formatUp(ShowResponse r, Path file, Path socket) {
        StringBuilder sb = new StringBuilder();
        InterfaceInfo i = r.iface();
        sb.append("interface: ").append(i.name()).append('\n');
        sb.append("  config: ").append(file).append('\n');
        sb.append("  public key: ").append(i.publicKey()).append('\n');
        sb.append("  listening port: ").append(i.listenPort()).append('\n');
        sb.append("  addresses: ").append(list(i.addresses()))
                .append('\n');
        sb.append("  mtu: ").append(i.mtu()).append('\n');
        sb.append("  control socket: ").append(socket).append('\n');
        peers(sb, r, 0);
        return sb.toString();
    }

    private static void peers(StringBuilder sb, ShowResponse r, long nowEpochMillis) {
        List<PeerInfo> peers = new ArrayList<>(r.peers());
        peers.sort(Comparator.comparingLong(PeerInfo::latestHandshakeEpochMillis).reversed());
        for (PeerInfo p : peers) {
            sb.append('\n');
            sb.append("peer: ").append(p.publicKey()).append('\n');
            if (p.presharedKey()) {
                sb.append("  preshared key: (hidden)\n");
            }
            if (p.endpoint() != null && !p.endpoint().isEmpty()) {
                sb.append("  endpoint: ").append(AddressText.canonical(p.endpoint())).append('\n');
            }
            sb.append("  allowed ips: ").append(list(p.allowedIps()))
                    .append('\n');
            if (p.latestHandshakeEpochMillis() != 0) {
                sb.append("  latest handshake: ").append(ago(p.latestHandshakeEpochMillis(), nowEpochMillis)).append('\n');
            }
            if (p.rxBytes() != 0 || p.txBytes() != 0) {
                sb.append("  transfer: ").append(bytes(p.rxBytes())).append(" received, ").append(bytes(p.txBytes()))
                        .append(" sent\n");
            }
            if (p.persistentKeepaliveSeconds() != 0) {
                sb.append("  persistent keepalive: every ").append(plural(p.persistentKeepaliveSeconds(), "second"))
                        .append('\n');
            }
        }
    }

    /** {@code a, b} with IPv6 in RFC 5952 form, or {@code (none)}. */
    private static String list(List<String> prefixes) {
        return prefixes.isEmpty() ? "(none)"
                : String.join(", ", prefixes.stream().map(AddressText::canonical).toList());
    }

    /** wg's pretty time: {@code 1 minute, 5 seconds ago}; {@code Now} within the same second. */
    static String ago(long thenEpochMillis, long nowEpochMillis) {
        long now = Math.floorDiv(nowEpochMillis, 1000);
        long then = Math.floorDiv(thenEpochMillis, 1000);
        if (now == then) {
            return "Now";
        }
        if (now < then) {
            return "(System clock wound backward; connection problems may ensue.)";
        }
        long s = now - then;
        long years = s / (365 * 86400L);
        s -= years * 365 * 86400L;
        long days = s / 86400;
        s -= days * 86400;
        long hours = s / 3600;
        s -= hours * 3600;
        long minutes = s / 60;
        s -= minutes * 60;
        List<String> parts = new ArrayList<>();
        if (years > 0) {
            parts.add(plural(years, "year"));
        }
        if (days > 0) {
            parts.add(plural(days, "day"));
        }
        if (hours > 0) {
            parts.add(plural(hours, "hour"));
        }
        if (minutes > 0) {
            parts.add(plural(minutes, "minute"));
        }
        if (s > 0) {
            parts.add(plural(s, "second"));
        }
        return String.join(", ", parts) + " ago";
    }

    /** wg's byte counts: {@code 512 B}, {@code 1.50 KiB}, {@code 3.40 MiB}, ... */
    static String bytes(long b) {
        if (b < 1024) {
            return b + " B";
        }
        String[] units = {"KiB", "MiB", "GiB", "TiB"};
        double v = b / 1024.0;
        int u = 0;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return String.format(Locale.ROOT, "%.2f %s", v, units[u]);
    }

    private static String plural(long n, String unit) {
        return n + " " + unit + (n == 1 ? "" : "s");
    }
}
