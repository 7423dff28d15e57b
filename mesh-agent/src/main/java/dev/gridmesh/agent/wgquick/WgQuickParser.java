package dev.gridmesh.agent.wgquick;

import dev.gridmesh.crypto.NodePrivateKey;
import dev.gridmesh.crypto.NodePublicKey;
import dev.gridmesh.crypto.PresharedKey;
import dev.gridmesh.protocol.net.IpPrefix;
import dev.gridmesh.protocol.wg.WgPeerConfig;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.charset.CharacterCodingException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Consumer;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Parses wg-quick(8) configuration files as {@code wg setconf} and {@code wg-quick} read them: {@code [Interface]}
 * and {@code [Peer]} sections, {@code Key = Value} lines, keys and section names case-insensitive, {@code #} starts a
 * comment, blank lines ignored, comma-separated lists (and list keys such as {@code Address} or {@code AllowedIPs}
 * may repeat). The interface name is the file name without {@code .conf}.
 *
 * <p>Keys gridmesh reads: PrivateKey, Address, ListenPort, MTU; per peer PublicKey, PresharedKey, AllowedIPs,
 * Endpoint (hostnames resolved once, here), PersistentKeepalive; PreUp, PostUp, PreDown, PostDown (kept in
 * {@link WgQuickConfig#hooks()} for the caller to run). Accepted with a warning that they are ignored:
 * DNS (kept in {@link WgQuickConfig#dns()}), Table, SaveConfig, FwMark.
 * Anything else is an error, as in wg(8).
 *
 * <p>Stricter than wg(8) where wg would silently take the last of two values: a single-valued key given twice in
 * one section, a second {@code [Interface]}, and two peers with one public key are errors.
 *
 * <p>Every error is a {@link ConfigException}: {@code FILE:LINE: KEY: reason (expected: ...)}.
 */
public final class WgQuickParser {
    private static final Logger log = LoggerFactory.getLogger(WgQuickParser.class);
    private static final Pattern IFNAME = Pattern.compile("[a-zA-Z0-9_=+.-]{1,15}");
    private static final Pattern HOSTNAME = Pattern.compile("[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?(\\.[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?)*\\.?");
    private static final String KEY_EXPECTED = "44 base64 characters as printed by wg genkey";
    private static final List<String> INTERFACE_KEYS = List.of("PrivateKey", "Address", "ListenPort", "MTU", "DNS",
            "Table", "PreUp", "PostUp", "PreDown", "PostDown", "SaveConfig", "FwMark");
    private static final List<String> PEER_KEYS = List.of("PublicKey", "PresharedKey", "AllowedIPs", "Endpoint",
            "PersistentKeepalive");
    /** Keys wg-quick understands that gridmesh accepts and does not act on, with what it would have done. */
    private static final Map<String, String> IGNORED = Map.of(
            "dns", "gridmesh does not configure the system resolver",
            "table", "gridmesh installs routes for AllowedIPs in the main table",
            "saveconfig", "gridmesh never writes the file back",
            "fwmark", "gridmesh does not mark its packets");

    /** Turns an Endpoint's host name into an address; tests pass a fake so that no lookup happens. */
    @FunctionalInterface
    public interface Resolver {
        InetAddress resolve(String host) throws UnknownHostException;
    }

    private final Resolver resolver;

    /** A parser resolving Endpoint host names with the system resolver. */
    public WgQuickParser() {
        this(InetAddress::getByName);
    }

    public WgQuickParser(Resolver resolver) {
        this.resolver = Objects.requireNonNull(resolver, "resolver");
    }

    /** Reads and parses {@code file}; warnings (ignored keys, a world-readable file) go to the log. */
    public WgQuickConfig parse(Path file) throws ConfigException {
        return parse(file, w -> log.warn("{}", w));
    }

    /** Reads and parses {@code file}, handing each warning (one line, {@code FILE:LINE: KEY: ...}) to {@code warnings}. */
    public WgQuickConfig parse(Path file, Consumer<String> warnings) throws ConfigException {
        Objects.requireNonNull(file, "file");
        String text;
        try {
            text = Files.readString(file);
        } catch (NoSuchFileException e) {
            throw new ConfigException(file, 0, null, "no such file");
        } catch (AccessDeniedException e) {
            throw new ConfigException(file, 0, null, "permission denied (expected: readable by this user; run as root?)", e);
        } catch (CharacterCodingException e) {
            throw new ConfigException(file, 0, null, "not UTF-8 text", e);
        } catch (IOException e) {
            throw new ConfigException(file, 0, null, "cannot read: " + e, e);
        }
        warnIfWorldAccessible(file, warnings);
        return parse(file, text, warnings);
    }

    /** Parses {@code text} as if read from {@code file} (which names the interface and appears in messages). */
    public WgQuickConfig parse(Path file, String text, Consumer<String> warnings) throws ConfigException {
        Objects.requireNonNull(file, "file");
        Objects.requireNonNull(text, "text");
        Objects.requireNonNull(warnings, "warnings");
        return new Run(file, warnings).parse(text);
    }

    /** {@code wg0.conf} -> {@code wg0}, checked as wg-quick checks it. */
    public static String interfaceName(Path file) throws ConfigException {
        Path fn = file.getFileName();
        String name = fn == null ? "" : fn.toString();
        String base = name.endsWith(".conf") ? name.substring(0, name.length() - ".conf".length()) : null;
        if (base == null || !IFNAME.matcher(base).matches()) {
            throw new ConfigException(file, 0, "interface name",
                    (base == null ? "file name " + quote(name) + " does not end in .conf" : quote(base))
                            + " (expected: NAME.conf, NAME being 1-15 characters of a-z A-Z 0-9 _ = + . -)");
        }
        return base;
    }

    private static void warnIfWorldAccessible(Path file, Consumer<String> warnings) {
        try {
            Set<PosixFilePermission> p = Files.getPosixFilePermissions(file);
            if (p.contains(PosixFilePermission.OTHERS_READ) || p.contains(PosixFilePermission.OTHERS_WRITE)) {
                warnings.accept(file + ": file is world accessible and holds a private key (expected: chmod 600)");
            }
        } catch (IOException | UnsupportedOperationException e) {
            // cannot tell: no warning
        }
    }

    private static String quote(String s) {
        return "\"" + s + "\"";
    }

    /** One parse: the state of the sections read so far. Not thread-safe; one per call. */
    private final class Run {
        private final Path file;
        private final Consumer<String> warnings;
        private int lineNo;
        private String section; // null, "interface", "peer"
        private int interfaceLine;
        private final Map<String, Integer> seen = new HashMap<>(); // single-valued keys of the current section

        private NodePrivateKey privateKey;
        private final List<IpPrefix> addresses = new ArrayList<>();
        private int listenPort;
        private int mtu;
        private int mtuLine;
        private final List<String> dns = new ArrayList<>();
        private final List<String> preUp = new ArrayList<>();
        private final List<String> postUp = new ArrayList<>();
        private final List<String> preDown = new ArrayList<>();
        private final List<String> postDown = new ArrayList<>();

        private PeerBuilder peer;
        private final List<PeerBuilder> peers = new ArrayList<>();
        private final Map<NodePublicKey, Integer> peerLines = new HashMap<>();

        Run(Path file, Consumer<String> warnings) {
            this.file = file;
            this.warnings = warnings;
        }

        WgQuickConfig parse(String text) throws ConfigException {
            String name = interfaceName(file);
            if (text.startsWith("\uFEFF")) {
                text = text.substring(1);
            }
            String[] lines = text.split("\r?\n|\r", -1);
            for (int i = 0; i < lines.length; i++) {
                lineNo = i + 1;
                line(lines[i]);
            }
            endPeer();
            if (section == null && interfaceLine == 0) {
                throw new ConfigException(file, 0, "[Interface]", "missing (expected: an [Interface] section with a PrivateKey)");
            }
            if (interfaceLine == 0) {
                throw new ConfigException(file, 0, "[Interface]", "missing (expected: an [Interface] section before the [Peer] sections)");
            }
            if (privateKey == null) {
                throw new ConfigException(file, interfaceLine, "PrivateKey", "missing in [Interface] (expected: PrivateKey = output of wg genkey)");
            }
            if (mtu != 0 && mtu < 1280 && addresses.stream().anyMatch(a -> !a.isIpv4())) {
                throw new ConfigException(file, mtuLine, "MTU", mtu + " (expected: 1280..65535 with an IPv6 Address)");
            }
            NodePublicKey self = privateKey.publicKey();
            List<WgPeerConfig> configs = new ArrayList<>();
            for (PeerBuilder p : peers) {
                if (p.publicKey.equals(self)) {
                    throw new ConfigException(file, p.publicKeyLine, "PublicKey",
                            "the interface's own public key (expected: another node's public key)");
                }
                configs.add(new WgPeerConfig(p.publicKey, p.presharedKey, p.allowedIps, p.endpoint, p.keepalive));
            }
            return new WgQuickConfig(file, name, privateKey, addresses, listenPort,
                    mtu == 0 ? WgQuickConfig.DEFAULT_MTU : mtu, dns, configs,
                    new WgQuickHooks(preUp, postUp, preDown, postDown));
        }

        private void line(String raw) throws ConfigException {
            int hash = raw.indexOf('#');
            String l = (hash >= 0 ? raw.substring(0, hash) : raw).strip();
            if (l.isEmpty()) {
                return;
            }
            if (l.startsWith("[")) {
                section(l);
                return;
            }
            int eq = l.indexOf('=');
            if (eq < 0) {
                throw new ConfigException(file, lineNo, null, quote(l) + " is not a setting (expected: Key = Value, or a [Section])");
            }
            String key = l.substring(0, eq).strip();
            String value = l.substring(eq + 1).strip();
            if (key.isEmpty()) {
                throw new ConfigException(file, lineNo, null, quote(l) + " has no key (expected: Key = Value)");
            }
            if (section == null) {
                throw new ConfigException(file, lineNo, key, "outside any section (expected: [Interface] or [Peer] before it)");
            }
            if (section.equals("interface")) {
                interfaceKey(key, value);
            } else {
                peerKey(key, value);
            }
        }

        private void section(String l) throws ConfigException {
            if (!l.endsWith("]")) {
                throw new ConfigException(file, lineNo, null, quote(l) + " is not a section header (expected: [Interface] or [Peer])");
            }
            String s = l.substring(1, l.length() - 1).strip().toLowerCase(Locale.ROOT);
            endPeer();
            seen.clear();
            switch (s) {
                case "interface" -> {
                    if (interfaceLine != 0) {
                        throw new ConfigException(file, lineNo, "[Interface]",
                                "second [Interface] section (expected: one, the first is on line " + interfaceLine + ")");
                    }
                    interfaceLine = lineNo;
                    section = s;
                }
                case "peer" -> {
                    peer = new PeerBuilder(lineNo);
                    section = s;
                }
                default -> throw new ConfigException(file, lineNo, l, "unknown section (expected: [Interface] or [Peer])");
            }
        }

        private void once(String key) throws ConfigException {
            Integer first = seen.putIfAbsent(key.toLowerCase(Locale.ROOT), lineNo);
            if (first != null) {
                throw new ConfigException(file, lineNo, key, "given twice in one section (expected: once; first on line " + first + ")");
            }
        }

        private void interfaceKey(String key, String value) throws ConfigException {
            String k = key.toLowerCase(Locale.ROOT);
            switch (k) {
                case "privatekey" -> {
                    once(key);
                    try {
                        privateKey = NodePrivateKey.fromBase64(nonEmpty(key, value, KEY_EXPECTED));
                    } catch (IllegalArgumentException e) {
                        throw new ConfigException(file, lineNo, key, "not a valid key (expected: " + KEY_EXPECTED + ")");
                    }
                }
                case "address" -> {
                    for (String a : list(key, value, "addresses with prefix lengths, e.g. 100.64.0.2/10, fd7a::2/64")) {
                        addresses.add(prefix(key, a, "ADDRESS/BITS, e.g. 100.64.0.2/10 or fd7a::2/64"));
                    }
                }
                case "listenport" -> {
                    once(key);
                    listenPort = number(key, value, 0, 65535);
                }
                case "mtu" -> {
                    once(key);
                    mtu = number(key, value, 576, 65535);
                    mtuLine = lineNo;
                }
                case "dns" -> {
                    for (String d : value.isEmpty() ? List.<String>of() : list(key, value, "IP addresses or search domains")) {
                        dns.add(d);
                    }
                    ignored(key);
                }
                case "preup" -> preUp.add(nonEmpty(key, value, "a shell command, %i for the interface name"));
                case "postup" -> postUp.add(nonEmpty(key, value, "a shell command, %i for the interface name"));
                case "predown" -> preDown.add(nonEmpty(key, value, "a shell command, %i for the interface name"));
                case "postdown" -> postDown.add(nonEmpty(key, value, "a shell command, %i for the interface name"));
                case "table", "saveconfig", "fwmark" -> ignored(key);
                default -> {
                    if (PEER_KEYS.stream().anyMatch(p -> p.equalsIgnoreCase(key))) {
                        throw new ConfigException(file, lineNo, key, "belongs in a [Peer] section (expected in [Interface]: "
                                + String.join(", ", INTERFACE_KEYS) + ")");
                    }
                    throw new ConfigException(file, lineNo, key, "unknown key in [Interface] (expected: "
                            + String.join(", ", INTERFACE_KEYS) + ")");
                }
            }
        }

        private void peerKey(String key, String value) throws ConfigException {
            String k = key.toLowerCase(Locale.ROOT);
            switch (k) {
                case "publickey" -> {
                    once(key);
                    NodePublicKey pk;
                    try {
                        pk = NodePublicKey.fromBase64(nonEmpty(key, value, KEY_EXPECTED.replace("genkey", "pubkey")));
                    } catch (IllegalArgumentException e) {
                        throw new ConfigException(file, lineNo, key, "not a valid key (expected: " + KEY_EXPECTED.replace("genkey", "pubkey") + ")");
                    }
                    Integer first = peerLines.putIfAbsent(pk, lineNo);
                    if (first != null) {
                        throw new ConfigException(file, lineNo, key, "duplicate peer " + pk.toBase64()
                                + " (expected: each peer once; it is already on line " + first + ")");
                    }
                    peer.publicKey = pk;
                    peer.publicKeyLine = lineNo;
                }
                case "presharedkey" -> {
                    once(key);
                    try {
                        peer.presharedKey = PresharedKey.fromBase64(nonEmpty(key, value, "44 base64 characters as printed by wg genpsk"));
                    } catch (IllegalArgumentException e) {
                        throw new ConfigException(file, lineNo, key, "not a valid key (expected: 44 base64 characters as printed by wg genpsk)");
                    }
                }
                case "allowedips" -> {
                    if (!value.isEmpty()) {
                        for (String a : list(key, value, "prefixes, e.g. 100.64.0.0/10, fd7a::/48")) {
                            peer.allowedIps.add(prefix(key, a, "ADDRESS/BITS, e.g. 100.64.0.0/10 or ::/0"));
                        }
                    }
                }
                case "endpoint" -> {
                    once(key);
                    peer.endpoint = endpoint(key, nonEmpty(key, value, "HOST:PORT or [IPv6]:PORT"));
                }
                case "persistentkeepalive" -> {
                    once(key);
                    String v = nonEmpty(key, value, "seconds 1..65535, or off");
                    peer.keepalive = v.equalsIgnoreCase("off") ? 0 : number(key, v, 0, 65535, "seconds 1..65535, or off");
                }
                default -> {
                    if (INTERFACE_KEYS.stream().anyMatch(p -> p.equalsIgnoreCase(key))) {
                        throw new ConfigException(file, lineNo, key, "belongs in the [Interface] section (expected in [Peer]: "
                                + String.join(", ", PEER_KEYS) + ")");
                    }
                    throw new ConfigException(file, lineNo, key, "unknown key in [Peer] (expected: "
                            + String.join(", ", PEER_KEYS) + ")");
                }
            }
        }

        private void endPeer() throws ConfigException {
            if (peer == null) {
                return;
            }
            if (peer.publicKey == null) {
                throw new ConfigException(file, peer.line, "[Peer]", "no PublicKey (expected: PublicKey = the peer's wg pubkey)");
            }
            peers.add(peer);
            peer = null;
        }

        private void ignored(String key) {
            warnings.accept(file + ":" + lineNo + ": " + key + ": ignored (" + IGNORED.get(key.toLowerCase(Locale.ROOT)) + ")");
        }

        private String nonEmpty(String key, String value, String expected) throws ConfigException {
            if (value.isEmpty()) {
                throw new ConfigException(file, lineNo, key, "empty (expected: " + expected + ")");
            }
            return value;
        }

        private List<String> list(String key, String value, String expected) throws ConfigException {
            List<String> out = new ArrayList<>();
            for (String part : nonEmpty(key, value, expected).split(",", -1)) {
                String p = part.strip();
                if (p.isEmpty()) {
                    throw new ConfigException(file, lineNo, key, quote(value) + " has an empty list item (expected: comma-separated " + expected + ")");
                }
                out.add(p);
            }
            return out;
        }

        private IpPrefix prefix(String key, String text, String expected) throws ConfigException {
            try {
                return IpPrefix.parse(text);
            } catch (IllegalArgumentException e) {
                throw new ConfigException(file, lineNo, key, text + " (expected: " + expected + ")");
            }
        }

        private int number(String key, String value, int min, int max) throws ConfigException {
            return number(key, value, min, max, min + ".." + max);
        }

        private int number(String key, String value, int min, int max, String expected) throws ConfigException {
            String v = nonEmpty(key, value, expected);
            long n;
            try {
                if (v.length() > 10 || !v.chars().allMatch(Character::isDigit)) {
                    throw new NumberFormatException();
                }
                n = Long.parseLong(v);
            } catch (NumberFormatException e) {
                throw new ConfigException(file, lineNo, key, v + " (expected: " + expected + ")");
            }
            if (n < min || n > max) {
                throw new ConfigException(file, lineNo, key, v + " (expected: " + expected + ")");
            }
            return (int) n;
        }

        private InetSocketAddress endpoint(String key, String v) throws ConfigException {
            String expected = " (expected: HOST:PORT or [IPv6]:PORT, e.g. 198.18.0.1:51820)";
            String host;
            String port;
            if (v.startsWith("[")) {
                int close = v.indexOf(']');
                if (close < 0 || close + 1 >= v.length() || v.charAt(close + 1) != ':') {
                    throw new ConfigException(file, lineNo, key, v + expected);
                }
                host = v.substring(1, close);
                port = v.substring(close + 2);
                if (host.indexOf(':') < 0) {
                    throw new ConfigException(file, lineNo, key, v + ": brackets around a non-IPv6 host" + expected);
                }
            } else {
                int colon = v.lastIndexOf(':');
                if (colon < 0) {
                    throw new ConfigException(file, lineNo, key, v + ": no port" + expected);
                }
                host = v.substring(0, colon);
                port = v.substring(colon + 1);
                if (host.indexOf(':') >= 0) {
                    throw new ConfigException(file, lineNo, key, v + ": IPv6 address without brackets" + expected);
                }
            }
            int p;
            try {
                if (port.isEmpty() || port.length() > 5 || !port.chars().allMatch(Character::isDigit)) {
                    throw new NumberFormatException();
                }
                p = Integer.parseInt(port);
            } catch (NumberFormatException e) {
                throw new ConfigException(file, lineNo, key, v + ": port " + quote(port) + " (expected: port 1..65535)");
            }
            if (p < 1 || p > 65535) {
                throw new ConfigException(file, lineNo, key, v + ": port " + p + " (expected: port 1..65535)");
            }
            InetAddress addr;
            boolean numericV4 = !host.isEmpty() && host.chars().allMatch(c -> c == '.' || Character.isDigit(c));
            try {
                if (host.indexOf(':') >= 0 || numericV4) {
                    addr = InetAddress.getByAddress(IpPrefix.parseAddress(host));
                } else if (HOSTNAME.matcher(host).matches() && host.length() <= 253) {
                    addr = resolver.resolve(host);
                } else {
                    throw new ConfigException(file, lineNo, key, v + ": " + quote(host) + " is not a host name or IP address" + expected);
                }
            } catch (IllegalArgumentException e) {
                throw new ConfigException(file, lineNo, key, v + ": " + quote(host) + " is not an IP address" + expected);
            } catch (UnknownHostException e) {
                throw new ConfigException(file, lineNo, key, v + ": cannot resolve " + quote(host) + " (expected: a resolvable host name)");
            }
            return new InetSocketAddress(addr, p);
        }
    }

    /** A [Peer] section being read. */
    private static final class PeerBuilder {
        final int line;
        NodePublicKey publicKey;
        int publicKeyLine;
        PresharedKey presharedKey = PresharedKey.NONE;
        final List<IpPrefix> allowedIps = new ArrayList<>();
        InetSocketAddress endpoint;
        int keepalive;

        PeerBuilder(int line) {
            this.line = line;
        }
    }
}
