package dev.gridmesh.cli.wgquick;

import dev.gridmesh.protocol.net.IpPrefix;

/**
 * Prints IPv6 the way wg(8) and people do (RFC 5952: {@code fd7a::2}, not {@code fd7a:0:0:0:0:0:0:2}) in prefixes
 * ({@code ADDR/BITS}) and endpoints ({@code [ADDR]:PORT}); other text passes through unchanged.
 */
final class AddressText {
    private AddressText() {}

    /** {@code ADDR}, {@code ADDR/BITS} or {@code [ADDR]:PORT} with any IPv6 address in RFC 5952 form. */
    static String canonical(String s) {
        if (s == null || s.indexOf(':') < 0) {
            return s;
        }
        try {
            if (s.startsWith("[")) {
                int close = s.indexOf(']');
                return close < 0 ? s : "[" + ipv6(s.substring(1, close)) + "]" + s.substring(close + 1);
            }
            int slash = s.indexOf('/');
            return slash < 0 ? ipv6(s) : ipv6(s.substring(0, slash)) + s.substring(slash);
        } catch (IllegalArgumentException e) {
            return s;
        }
    }

    private static String ipv6(String text) {
        return IpPrefix.formatAddress(IpPrefix.parseAddress(text));
    }
}
