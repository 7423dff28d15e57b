package dev.gridmesh.relay.tunnel;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Which users may reach which nodes and ports through the relay: {@code tunnel-policy} in the relay's state dir, one
 * rule per line; the first rule that matches allows; no rule, no access (the default is nothing).
 *
 * <pre>
 * # allow SUBJECT TARGET PORTS
 * #   SUBJECT  user:NAME | group:NAME | *
 * #   TARGET   node:NAME | tag:NAME | *
 * #   PORTS    22 | 22,8888 | 8000-8999 | *
 * allow group:ops tag:gpu 22
 * allow user:alice node:worker-7 22,8888
 * </pre>
 *
 * Errors are reported as {@code file:line: key: reason}. Immutable.
 */
public final class TunnelPolicy {
    public static final String FILE = "tunnel-policy";

    /** One {@code allow} line. Ports as inclusive ranges. */
    public record Rule(int line, String subjectKind, String subject, String targetKind, String target, List<int[]> ports) {
        boolean subjectMatches(String user, Set<String> groups) {
            return switch (subjectKind) {
                case "*" -> true;
                case "user" -> subject.equals(user);
                default -> groups.contains(subject);
            };
        }

        boolean targetMatches(String node, Set<String> tags) {
            return switch (targetKind) {
                case "*" -> true;
                case "node" -> target.equals(node);
                default -> tags.contains(target);
            };
        }

        boolean portMatches(int port) {
            for (int[] r : ports) {
                if (port >= r[0] && port <= r[1]) {
                    return true;
                }
            }
            return false;
        }

        String portsText() {
            StringBuilder b = new StringBuilder();
            for (int[] r : ports) {
                if (!b.isEmpty()) {
                    b.append(',');
                }
                b.append(r[0] == 1 && r[1] == 65535 ? "*" : r[0] == r[1] ? String.valueOf(r[0]) : r[0] + "-" + r[1]);
            }
            return b.toString();
        }
    }

    private final List<Rule> rules;

    private TunnelPolicy(List<Rule> rules) {
        this.rules = List.copyOf(rules);
    }

    public static TunnelPolicy denyAll() {
        return new TunnelPolicy(List.of());
    }

    public List<Rule> rules() {
        return rules;
    }

    /** Whether {@code user} (in {@code groups}) may reach {@code port} on {@code node} (tagged {@code tags}). */
    public boolean allows(String user, Set<String> groups, String node, Set<String> tags, int port) {
        for (Rule r : rules) {
            if (r.subjectMatches(user, groups) && r.targetMatches(node, tags) && r.portMatches(port)) {
                return true;
            }
        }
        return false;
    }

    /** The ports {@code user} may reach on {@code node}, as text ("22,8888"), or null for none. */
    public String portsFor(String user, Set<String> groups, String node, Set<String> tags) {
        List<String> out = new ArrayList<>();
        for (Rule r : rules) {
            if (r.subjectMatches(user, groups) && r.targetMatches(node, tags)) {
                out.add(r.portsText());
            }
        }
        return out.isEmpty() ? null : String.join(",", out);
    }

    public static TunnelPolicy load(Path dir) throws IOException {
        Path f = dir.resolve(FILE);
        try {
            return parse(f.toString(), Files.readAllLines(f, StandardCharsets.UTF_8));
        } catch (NoSuchFileException e) {
            return denyAll();
        }
    }

    public static TunnelPolicy parse(String file, List<String> lines) throws IOException {
        List<Rule> rules = new ArrayList<>();
        int n = 0;
        for (String raw : lines) {
            n++;
            String line = raw.strip();
            int hash = line.indexOf('#');
            if (hash >= 0) {
                line = line.substring(0, hash).strip();
            }
            if (line.isEmpty()) {
                continue;
            }
            String[] p = line.split("\\s+");
            if (!p[0].equals("allow")) {
                throw new IOException(file + ":" + n + ": " + p[0] + ": unknown rule (expected: allow)");
            }
            if (p.length != 4) {
                throw new IOException(file + ":" + n + ": allow: " + (p.length - 1) + " fields (expected: SUBJECT TARGET PORTS)");
            }
            String[] subj = kind(file, n, "subject", p[1], "user", "group");
            String[] tgt = kind(file, n, "target", p[2], "node", "tag");
            rules.add(new Rule(n, subj[0], subj[1], tgt[0], tgt[1], ports(file, n, p[3])));
        }
        return new TunnelPolicy(rules);
    }

    private static String[] kind(String file, int n, String key, String s, String a, String b) throws IOException {
        if (s.equals("*")) {
            return new String[] {"*", "*"};
        }
        int c = s.indexOf(':');
        String k = c < 0 ? "" : s.substring(0, c);
        String v = c < 0 ? "" : s.substring(c + 1);
        if (!(k.equals(a) || k.equals(b)) || v.isEmpty()) {
            throw new IOException(file + ":" + n + ": " + key + ": " + s + " (expected: " + a + ":NAME, " + b + ":NAME or *)");
        }
        return new String[] {k, v};
    }

    private static List<int[]> ports(String file, int n, String s) throws IOException {
        List<int[]> out = new ArrayList<>();
        if (s.equals("*")) {
            out.add(new int[] {1, 65535});
            return out;
        }
        for (String part : s.split(",")) {
            try {
                int dash = part.indexOf('-');
                int lo = Integer.parseInt(dash < 0 ? part : part.substring(0, dash));
                int hi = dash < 0 ? lo : Integer.parseInt(part.substring(dash + 1));
                if (lo < 1 || hi > 65535 || lo > hi) {
                    throw new NumberFormatException();
                }
                out.add(new int[] {lo, hi});
            } catch (NumberFormatException e) {
                throw new IOException(file + ":" + n + ": ports: " + part + " (expected: 1..65535, LO-HI or *)");
            }
        }
        return out;
    }
}
