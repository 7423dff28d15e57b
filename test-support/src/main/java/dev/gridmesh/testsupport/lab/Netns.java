package dev.gridmesh.testsupport.lab;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One network namespace of a {@link Lab}, named {@code gm<run><role>}. Commands run in it through
 * {@code ip netns exec}. Created and deleted only by its lab.
 */
public final class Netns {
    private final Lab lab;
    private final String name;
    private final String role;

    Netns(Lab lab, String name, String role) {
        this.lab = lab;
        this.name = name;
        this.role = role;
    }

    /** The namespace name as {@code ip netns list} shows it. */
    public String name() {
        return name;
    }

    /** The short role given at creation ("a", "nat", "inet"). */
    public String role() {
        return role;
    }

    public Lab lab() {
        return lab;
    }

    /** Runs {@code command} in this namespace to completion (bounded by the lab's command timeout). */
    public ExecResult exec(String... command) {
        return lab.execIn(this, List.of(command), Map.of(), Lab.COMMAND_TIMEOUT);
    }

    /** Runs {@code command} and throws {@link LabException} unless it exits 0. */
    public ExecResult execOk(String... command) {
        return exec(command).requireOk();
    }

    /** Runs a bash script ({@code set -o pipefail}) in this namespace, bounded by {@code timeout}. */
    public ExecResult sh(Duration timeout, String script) {
        return lab.execIn(this, List.of("bash", "-o", "pipefail", "-c", script), Map.of(), timeout);
    }

    public ExecResult sh(String script) {
        return sh(Lab.COMMAND_TIMEOUT, script);
    }

    public ExecResult shOk(String script) {
        return sh(script).requireOk();
    }

    /** Starts a long-running process in this namespace; output goes to {@code <logName>.out/.err} in the log dir. */
    public LabProcess spawn(String logName, List<String> command) {
        return spawn(logName, command, Map.of());
    }

    public LabProcess spawn(String logName, List<String> command, Map<String, String> env) {
        return lab.spawnIn(this, logName, command, env);
    }

    /** Starts a bash script ({@code set -o pipefail}) as a long-running process. */
    public LabProcess spawnSh(String logName, String script) {
        return spawn(logName, List.of("bash", "-o", "pipefail", "-c", script));
    }

    /** Adds (or replaces) the default route via {@code gateway}. */
    public void defaultRoute(String gateway) {
        execOk("ip", "route", "replace", "default", "via", gateway);
    }

    /** Adds a route to {@code prefix} via {@code gateway}. */
    public void route(String prefix, String gateway) {
        execOk("ip", "route", "replace", prefix, "via", gateway);
    }

    /** Turns on IPv4 forwarding (routers). */
    public void enableForwarding() {
        execOk("sysctl", "-q", "-w", "net.ipv4.ip_forward=1");
    }

    /**
     * Makes this namespace a router of the given kind between {@code lanIf} (addresses {@code lanPrefix}) and
     * {@code wanIf}. See {@link NatKind} for the rules each kind installs.
     */
    public void configureNat(NatKind kind, String lanIf, String wanIf, String lanPrefix) {
        Objects.requireNonNull(kind, "kind");
        Lab.requireLabPrefix(lanPrefix);
        enableForwarding();
        List<String> rules = new ArrayList<>();
        switch (kind) {
            case ROUTED -> { }
            case ENDPOINT_INDEPENDENT, UDP_BLOCKED -> rules.add(
                    "iptables -t nat -A POSTROUTING -s " + lanPrefix + " -o " + wanIf + " -j MASQUERADE");
            case ENDPOINT_DEPENDENT -> rules.add(
                    "iptables -t nat -A POSTROUTING -s " + lanPrefix + " -o " + wanIf + " -j MASQUERADE --random-fully");
        }
        if (kind == NatKind.UDP_BLOCKED) {
            rules.add("iptables -A FORWARD -p udp -j DROP");
        }
        if (kind != NatKind.ROUTED) {
            // Home-router firewall: nothing unsolicited gets in, neither forwarded nor to the router itself.
            rules.add("iptables -A FORWARD -i " + wanIf + " -o " + lanIf
                    + " -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT");
            rules.add("iptables -A FORWARD -i " + wanIf + " -o " + lanIf + " -j DROP");
            rules.add("iptables -A INPUT -i " + wanIf + " -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT");
            rules.add("iptables -A INPUT -i " + wanIf + " -j DROP");
        }
        if (!rules.isEmpty()) {
            shOk("set -e\n" + String.join("\n", rules));
        }
    }

    /** Forgets all connection-tracking state (a NAT router rebooting or timing out its mappings). */
    public void flushConntrack() {
        ExecResult r = exec("conntrack", "-F");
        // conntrack -F exits 1 with "0 flow entries" on an empty table on some versions; anything else is an error.
        if (!r.ok() && !r.stderr().contains("flow entries have been deleted")) {
            r.requireOk();
        }
    }

    /** The IPv4 addresses (without prefix length) of {@code ifname}, e.g. to check which one is in use. */
    public List<String> addresses(String ifname) {
        String out = execOk("ip", "-4", "-o", "addr", "show", "dev", ifname).stdout();
        List<String> result = new ArrayList<>();
        for (String line : out.split("\n")) {
            String[] f = line.trim().split("\\s+");
            for (int i = 0; i + 1 < f.length; i++) {
                if (f[i].equals("inet")) {
                    result.add(f[i + 1].substring(0, f[i + 1].indexOf('/')));
                }
            }
        }
        return result;
    }

    /** True when one {@code ping} to {@code address} gets an answer within a second. */
    public boolean pingOnce(String address) {
        return exec("ping", "-n", "-q", "-c", "1", "-W", "1", address).ok();
    }

    @Override
    public String toString() {
        return "Netns[" + name + "]";
    }
}
