package dev.gridmesh.relay.store;

import dev.gridmesh.protocol.net.IpPrefix;
import dev.gridmesh.protocol.relay.ErrorCode;
import java.math.BigInteger;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Instant;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/** The decisions every {@link Store} makes the same way: token validity, node names, overlay IP allocation. */
public final class RegistrationRules {
    private RegistrationRules() {}

    /** Empty when {@code t} may admit a node at {@code now}, else the refusal. */
    public static Optional<Registration.Refused> checkToken(TokenRecord t, Instant now) {
        if (t == null) {
            return Optional.of(new Registration.Refused(ErrorCode.TOKEN_INVALID, "join token not known to this relay"));
        }
        if (t.expires() != null && !now.isBefore(t.expires())) {
            return Optional.of(new Registration.Refused(ErrorCode.TOKEN_EXPIRED, "join token " + t.id() + " expired at " + t.expires()));
        }
        if (!t.reusable() && t.uses() > 0) {
            return Optional.of(new Registration.Refused(ErrorCode.TOKEN_USED_UP, "one-off join token " + t.id() + " was already used"));
        }
        return Optional.empty();
    }

    /** A DNS label from a hostname: lower case, [a-z0-9-], at most 63, "node" when nothing is left. */
    public static String sanitize(String hostname) {
        String s = hostname.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9-]+", "-").replaceAll("^-+|-+$", "");
        if (s.length() > 58) {
            s = s.substring(0, 58).replaceAll("-+$", "");
        }
        return s.isEmpty() ? "node" : s;
    }

    /** {@code base}, or {@code base-2}, {@code base-3}... whichever is not in {@code taken}. */
    public static String uniqueName(String base, Set<String> taken) {
        if (!taken.contains(base)) {
            return base;
        }
        for (int i = 2; ; i++) {
            String n = base + "-" + i;
            if (!taken.contains(n)) {
                return n;
            }
        }
    }

    /**
     * The lowest address of {@code range} not in {@code taken}, skipping the network address, the broadcast
     * address (IPv4) and the first host (kept for the relay itself). Empty when the range is full.
     */
    public static Optional<InetAddress> allocate(IpPrefix range, Set<InetAddress> taken) {
        byte[] net = range.networkBytes();
        int hostBits = net.length * 8 - range.bits();
        BigInteger base = new BigInteger(1, net);
        BigInteger size = BigInteger.ONE.shiftLeft(hostBits);
        BigInteger last = range.isIpv4() ? size.subtract(BigInteger.ONE) : size;
        for (BigInteger off = BigInteger.TWO; off.compareTo(last) < 0; off = off.add(BigInteger.ONE)) {
            InetAddress a = toAddress(base.add(off), net.length);
            if (!taken.contains(a)) {
                return Optional.of(a);
            }
        }
        return Optional.empty();
    }

    private static InetAddress toAddress(BigInteger v, int len) {
        byte[] raw = v.toByteArray();
        byte[] b = new byte[len];
        int n = Math.min(raw.length, len);
        System.arraycopy(raw, raw.length - n, b, len - n, n);
        try {
            return InetAddress.getByAddress(b);
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }
}
