package dev.gridmesh.protocol.net;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Arrays;
import java.util.Objects;

/**
 * An IPv4 or IPv6 prefix such as {@code 100.64.0.0/10} or {@code fd00::/8}. Host bits are cleared on
 * construction, so {@code 100.64.1.2/10} equals {@code 100.64.0.0/10}; {@link #hostAddress()} keeps the
 * address as written (for interface addresses like {@code 100.64.0.2/10}).
 */
public final class IpPrefix {
    private final byte[] network;
    private final byte[] host;
    private final int bits;

    private IpPrefix(byte[] addr, int bits) {
        int max = addr.length * 8;
        if (bits < 0 || bits > max) {
            throw new IllegalArgumentException("prefix length " + bits + " (expected: 0.." + max + ")");
        }
        this.host = addr.clone();
        this.network = addr.clone();
        for (int i = 0; i < network.length; i++) {
            int keep = Math.max(0, Math.min(8, bits - i * 8));
            network[i] &= (byte) (0xff << (8 - keep));
        }
        this.bits = bits;
    }

    public static IpPrefix of(InetAddress address, int bits) {
        return new IpPrefix(address.getAddress(), bits);
    }

    /** Parses {@code ADDR/BITS} or a bare address (a host prefix: /32 or /128). Only numeric addresses. */
    public static IpPrefix parse(String text) {
        Objects.requireNonNull(text, "text");
        String t = text.strip();
        int slash = t.indexOf('/');
        String a = slash < 0 ? t : t.substring(0, slash);
        byte[] addr = parseAddress(a);
        int bits;
        if (slash < 0) {
            bits = addr.length * 8;
        } else {
            try {
                bits = Integer.parseInt(t.substring(slash + 1));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(t + ": prefix length is not a number");
            }
        }
        return new IpPrefix(addr, bits);
    }

    /** Parses a numeric IPv4 or IPv6 address without any name lookup. */
    public static byte[] parseAddress(String a) {
        if (a.isEmpty() || !(a.indexOf(':') >= 0 || a.chars().allMatch(c -> c == '.' || Character.isDigit(c)))) {
            throw new IllegalArgumentException(a + ": not an IP address");
        }
        if (a.indexOf(':') < 0) {
            String[] parts = a.split("\\.", -1);
            if (parts.length != 4) {
                throw new IllegalArgumentException(a + ": not an IPv4 address");
            }
            byte[] b = new byte[4];
            for (int i = 0; i < 4; i++) {
                int v;
                try {
                    v = Integer.parseInt(parts[i]);
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException(a + ": not an IPv4 address");
                }
                if (v < 0 || v > 255 || parts[i].length() > 3) {
                    throw new IllegalArgumentException(a + ": not an IPv4 address");
                }
                b[i] = (byte) v;
            }
            return b;
        }
        try {
            String s = a.startsWith("[") && a.endsWith("]") ? a.substring(1, a.length() - 1) : a;
            return InetAddress.getByName(s).getAddress(); // numeric IPv6 literal: no lookup happens
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException(a + ": not an IPv6 address");
        }
    }

    public boolean isIpv4() {
        return network.length == 4;
    }

    public int bits() {
        return bits;
    }

    /** The network address bytes (host bits zero); a copy. */
    public byte[] networkBytes() {
        return network.clone();
    }

    public InetAddress network() {
        return toInet(network);
    }

    /** The address as written, host bits kept (e.g. an interface address). */
    public InetAddress hostAddress() {
        return toInet(host);
    }

    /** Whether {@code addr} (4 or 16 bytes at {@code off}, of this prefix's family) lies in this prefix. */
    public boolean contains(byte[] addr, int off, int len) {
        if (len != network.length) {
            return false;
        }
        int full = bits / 8;
        for (int i = 0; i < full; i++) {
            if (addr[off + i] != network[i]) {
                return false;
            }
        }
        int rem = bits % 8;
        if (rem == 0) {
            return true;
        }
        int mask = 0xff << (8 - rem) & 0xff;
        return (addr[off + full] & mask) == (network[full] & 0xff);
    }

    public boolean contains(InetAddress a) {
        byte[] b = a.getAddress();
        return contains(b, 0, b.length);
    }

    private static InetAddress toInet(byte[] b) {
        try {
            return InetAddress.getByAddress(b);
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    /** Network form, e.g. {@code 100.64.0.0/10} (IPv6 in Java's long form; {@link #formatAddress} for RFC 5952). */
    @Override
    public String toString() {
        return network().getHostAddress() + "/" + bits;
    }

    /** Address as written, e.g. {@code 100.64.0.2/10}. */
    public String toHostString() {
        return hostAddress().getHostAddress() + "/" + bits;
    }

    /**
     * IPv4 dotted; IPv6 in RFC 5952 form, as wg(8) prints it: lower case, the longest run of two or more zero
     * groups as {@code ::} ({@code fd7a::2}, not {@code fd7a:0:0:0:0:0:0:2}).
     */
    public static String formatAddress(byte[] b) {
        if (b.length == 4) {
            return (b[0] & 0xff) + "." + (b[1] & 0xff) + "." + (b[2] & 0xff) + "." + (b[3] & 0xff);
        }
        if (b.length != 16) {
            throw new IllegalArgumentException("address of " + b.length + " bytes (expected: 4 or 16)");
        }
        int[] g = new int[8];
        for (int i = 0; i < 8; i++) {
            g[i] = (b[2 * i] & 0xff) << 8 | (b[2 * i + 1] & 0xff);
        }
        int bestStart = -1;
        int bestLen = 1; // a single zero group is not compressed
        for (int i = 0; i < 8; ) {
            if (g[i] != 0) {
                i++;
                continue;
            }
            int j = i;
            while (j < 8 && g[j] == 0) {
                j++;
            }
            if (j - i > bestLen) {
                bestStart = i;
                bestLen = j - i;
            }
            i = j;
        }
        StringBuilder sb = new StringBuilder(39);
        for (int i = 0; i < 8; i++) {
            if (i == bestStart) {
                sb.append("::");
                i += bestLen - 1;
                continue;
            }
            if (sb.length() > 0 && sb.charAt(sb.length() - 1) != ':') {
                sb.append(':');
            }
            sb.append(Integer.toHexString(g[i]));
        }
        return sb.toString();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof IpPrefix p && p.bits == bits && Arrays.equals(p.network, network);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(network) * 31 + bits;
    }
}
