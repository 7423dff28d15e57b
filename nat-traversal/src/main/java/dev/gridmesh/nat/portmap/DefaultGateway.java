package dev.gridmesh.nat.portmap;

import java.io.IOException;
import java.net.Inet4Address;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/** Finds the IPv4 default gateway of this network namespace from {@code /proc/net/route}. */
public final class DefaultGateway {
    private static final Path ROUTE = Path.of("/proc/net/route");

    private DefaultGateway() {}

    /** The gateway of the lowest-metric default route, or empty (no default route, or not Linux). */
    public static Optional<Inet4Address> find() {
        try {
            return parse(Files.readString(ROUTE, StandardCharsets.US_ASCII));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /**
     * Parses {@code /proc/net/route}: columns Iface Destination Gateway Flags RefCnt Use Metric Mask ..., addresses
     * as little-endian hex. A default route has destination and mask 0 and flags RTF_UP|RTF_GATEWAY (0x3).
     */
    static Optional<Inet4Address> parse(String text) {
        Inet4Address best = null;
        long bestMetric = Long.MAX_VALUE;
        for (String line : text.split("\n")) {
            String[] f = line.trim().split("\\s+");
            if (f.length < 8 || f[0].equals("Iface")) {
                continue;
            }
            try {
                long dest = Long.parseLong(f[1], 16);
                long gw = Long.parseLong(f[2], 16);
                int flags = Integer.parseInt(f[3], 16);
                long metric = Long.parseLong(f[6]);
                long mask = Long.parseLong(f[7], 16);
                if (dest == 0 && mask == 0 && (flags & 0x3) == 0x3 && gw != 0 && metric < bestMetric) {
                    byte[] a = {(byte) gw, (byte) (gw >>> 8), (byte) (gw >>> 16), (byte) (gw >>> 24)};
                    best = PmpCodec.ipv4(a);
                    bestMetric = metric;
                }
            } catch (NumberFormatException e) {
                // a line we do not understand is skipped
            }
        }
        return Optional.ofNullable(best);
    }
}
