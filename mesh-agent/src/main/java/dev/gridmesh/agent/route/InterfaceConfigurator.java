package dev.gridmesh.agent.route;

import dev.gridmesh.protocol.net.IpPrefix;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Brings a tunnel interface up the way wg-quick does, with iproute2:
 * <pre>
 *   ip -4 address add 100.64.0.1/10 dev wg0        (one per address; -6 for IPv6)
 *   ip link set dev wg0 mtu 1420 up
 *   ip -4 route replace 100.64.7.0/24 dev wg0      (one per allowed IP, longest prefix first)
 * </pre>
 * A route equal to an address's own subnet is left to the kernel (it adds that one itself). Default routes
 * ({@code /0}) are skipped with a warning: routing everything into the tunnel needs wg-quick's fwmark policy
 * routing, which is not implemented, and a plain default route would loop the encrypted packets into the tunnel.
 * Teardown deletes the link, which also removes its addresses and routes.
 */
public final class InterfaceConfigurator {
    private static final Logger log = LoggerFactory.getLogger(InterfaceConfigurator.class);

    private final CommandRunner runner;

    public InterfaceConfigurator(CommandRunner runner) {
        this.runner = Objects.requireNonNull(runner, "runner");
    }

    /**
     * Adds the addresses, sets the MTU, sets the link up and adds the routes.
     *
     * @return the routes actually installed (routes skipped as described above are not included)
     */
    public List<IpPrefix> up(String ifname, List<IpPrefix> addresses, int mtu, Collection<IpPrefix> routes)
            throws NetConfigException {
        Objects.requireNonNull(ifname, "ifname");
        if (mtu < 576 || mtu > 65535) {
            throw new NetConfigException("mtu: " + mtu + " (expected: 576..65535)");
        }
        for (IpPrefix a : addresses) {
            exec(ifname, "adding address " + a.toHostString(),
                    List.of("ip", family(a), "address", "add", a.toHostString(), "dev", ifname));
        }
        exec(ifname, "setting mtu " + mtu + " and link up",
                List.of("ip", "link", "set", "dev", ifname, "mtu", Integer.toString(mtu), "up"));
        List<IpPrefix> installed = new ArrayList<>();
        for (IpPrefix r : routesToInstall(addresses, routes)) {
            addRoute(ifname, r);
            installed.add(r);
        }
        return installed;
    }

    /** The routes {@link #up} would install, in order: deduplicated, IPv4 then IPv6, longest prefix first, /0 and own subnets left out. */
    public static List<IpPrefix> routesToInstall(List<IpPrefix> addresses, Collection<IpPrefix> routes) {
        Set<IpPrefix> own = new LinkedHashSet<>();
        for (IpPrefix a : addresses) {
            own.add(IpPrefix.of(a.network(), a.bits()));
        }
        List<IpPrefix> out = new ArrayList<>();
        for (IpPrefix r : new LinkedHashSet<>(routes)) {
            if (r.bits() == 0) {
                log.warn("not adding a default route for allowed IP {}: full-tunnel routing (fwmark policy routing)"
                        + " is not supported yet", r);
            } else if (!own.contains(r)) {
                out.add(r);
            }
        }
        out.sort((x, y) -> x.isIpv4() != y.isIpv4() ? (x.isIpv4() ? -1 : 1) : Integer.compare(y.bits(), x.bits()));
        return out;
    }

    /** {@code ip -4|-6 route replace PREFIX dev IFNAME} (idempotent). */
    public void addRoute(String ifname, IpPrefix prefix) throws NetConfigException {
        exec(ifname, "adding route " + prefix,
                List.of("ip", family(prefix), "route", "replace", prefix.toString(), "dev", ifname));
    }

    public void removeRoute(String ifname, IpPrefix prefix) throws NetConfigException {
        exec(ifname, "removing route " + prefix,
                List.of("ip", family(prefix), "route", "del", prefix.toString(), "dev", ifname));
    }

    /**
     * Deletes the link (and with it its addresses and routes). A link that is already gone is not an error: a
     * non-persistent TUN device disappears when its fd is closed.
     */
    public void delete(String ifname) throws NetConfigException {
        List<String> cmd = List.of("ip", "link", "delete", "dev", ifname);
        try {
            runner.run(cmd);
        } catch (CommandException e) {
            String err = e.stderr();
            if (err.contains("Cannot find device") || err.contains("does not exist")) {
                return;
            }
            throw new NetConfigException(ifname + ": deleting the link: " + e.getMessage(), e);
        }
    }

    private void exec(String ifname, String what, List<String> cmd) throws NetConfigException {
        try {
            runner.run(cmd);
        } catch (CommandException e) {
            throw new NetConfigException(ifname + ": " + what + ": " + e.getMessage(), e);
        }
    }

    private static String family(IpPrefix p) {
        return p.isIpv4() ? "-4" : "-6";
    }
}
