package dev.gridmesh.relay.store;

import dev.gridmesh.crypto.NodePublicKey;
import dev.gridmesh.protocol.net.IpPrefix;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * {@link Store} in one embedded H2 database file, {@code relay.mv.db} in the state dir (mode 0600). One JDBC
 * connection, calls serialized; every write commits and is on disk before the call returns ({@code WRITE_DELAY=0}),
 * so a relay killed with {@code kill -9} loses no admitted node.
 */
public final class H2Store implements Store {
    private static final String SCHEMA = """
            CREATE TABLE IF NOT EXISTS nodes (
              node_key CHAR(44) PRIMARY KEY,
              name VARCHAR(63) NOT NULL UNIQUE,
              overlay_ip VARCHAR(45) NOT NULL UNIQUE,
              tags VARCHAR(1024) NOT NULL,
              created_ms BIGINT NOT NULL,
              last_seen_ms BIGINT NOT NULL,
              endpoints VARCHAR(2048) NOT NULL);
            CREATE TABLE IF NOT EXISTS join_tokens (
              hash CHAR(64) PRIMARY KEY,
              reusable BOOLEAN NOT NULL,
              expires_ms BIGINT,
              tags VARCHAR(1024) NOT NULL,
              created_ms BIGINT NOT NULL,
              uses INT NOT NULL);
            CREATE TABLE IF NOT EXISTS admin_credentials (
              name VARCHAR(255) PRIMARY KEY,
              secret_hash CHAR(64) NOT NULL,
              created_ms BIGINT NOT NULL);
            """;
    private static final HexFormat HEX = HexFormat.of();

    private final Connection conn;
    /** Names and overlay IPs in use: this process is the file's only writer (H2 locks it), so they stay exact. */
    private final Set<String> names = new HashSet<>();
    private final Set<InetAddress> ips = new HashSet<>();

    private H2Store(Connection conn) throws SQLException, IOException {
        this.conn = conn;
        for (NodeRecord n : nodeQuery("", null)) {
            names.add(n.name());
            ips.add(n.overlayIp());
        }
    }

    /** Opens (creating if needed) the database in {@code stateDir}. */
    public static H2Store open(Path stateDir) throws StoreException {
        try {
            Files.createDirectories(stateDir);
            Path base = stateDir.toAbsolutePath().resolve("relay");
            Connection c = DriverManager.getConnection("jdbc:h2:file:" + base + ";WRITE_DELAY=0;DB_CLOSE_ON_EXIT=FALSE", "", "");
            try (Statement s = c.createStatement()) {
                s.execute(SCHEMA);
            }
            c.setAutoCommit(false);
            c.commit();
            Path file = stateDir.resolve("relay.mv.db");
            if (Files.exists(file)) {
                try {
                    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
                } catch (UnsupportedOperationException | IOException e) {
                    // non-POSIX file system: nothing to tighten
                }
            }
            return new H2Store(c);
        } catch (SQLException e) {
            throw new StoreException(stateDir + "/relay.mv.db: " + e.getMessage(), e);
        } catch (IOException e) {
            throw new StoreException(stateDir + ": " + e.getMessage(), e);
        }
    }

    @Override
    public synchronized Registration register(NodePublicKey key, String hostname, byte[] tokenHash, IpPrefix range,
                                              Instant now) throws StoreException {
        try {
            Optional<NodeRecord> known = nodeQuery("WHERE node_key = ?", key.toBase64()).stream().findFirst();
            if (known.isPresent()) {
                NodeRecord n = known.get().withSeen(now, known.get().endpoints());
                setSeen(key, now, n.endpoints());
                conn.commit();
                return new Registration.Admitted(n, false);
            }
            if (tokenHash == null) {
                return new Registration.Refused(dev.gridmesh.protocol.relay.ErrorCode.UNKNOWN_NODE,
                        "node key " + key.shortString() + " is not registered and no join token was given");
            }
            TokenRecord token = token(tokenHash);
            Optional<Registration.Refused> refused = RegistrationRules.checkToken(token, now);
            if (refused.isPresent()) {
                return refused.get();
            }
            Optional<InetAddress> ip = RegistrationRules.allocate(range, ips);
            if (ip.isEmpty()) {
                return new Registration.Refused(dev.gridmesh.protocol.relay.ErrorCode.ADDRESS_EXHAUSTED,
                        "no free address left in " + range);
            }
            String name = RegistrationRules.uniqueName(RegistrationRules.sanitize(hostname), names);
            NodeRecord n = new NodeRecord(key, name, ip.get(), token.tags(), now, now, List.of());
            try (PreparedStatement p = conn.prepareStatement(
                    "INSERT INTO nodes (node_key, name, overlay_ip, tags, created_ms, last_seen_ms, endpoints) VALUES (?,?,?,?,?,?,?)")) {
                p.setString(1, key.toBase64());
                p.setString(2, name);
                p.setString(3, ip.get().getHostAddress());
                p.setString(4, String.join(",", new TreeSet<>(token.tags())));
                p.setLong(5, now.toEpochMilli());
                p.setLong(6, now.toEpochMilli());
                p.setString(7, "");
                p.executeUpdate();
            }
            try (PreparedStatement p = conn.prepareStatement("UPDATE join_tokens SET uses = uses + 1 WHERE hash = ?")) {
                p.setString(1, HEX.formatHex(tokenHash));
                p.executeUpdate();
            }
            conn.commit();
            names.add(name);
            ips.add(ip.get());
            return new Registration.Admitted(n, true);
        } catch (SQLException | IOException e) {
            rollback();
            throw new StoreException("register " + key.shortString() + ": " + e.getMessage(), e);
        }
    }

    @Override
    public synchronized Optional<NodeRecord> node(NodePublicKey key) throws StoreException {
        try {
            return nodeQuery("WHERE node_key = ?", key.toBase64()).stream().findFirst();
        } catch (SQLException | IOException e) {
            throw new StoreException("read node: " + e.getMessage(), e);
        }
    }

    @Override
    public synchronized List<NodeRecord> nodes() throws StoreException {
        try {
            return nodeQuery("ORDER BY name", null);
        } catch (SQLException | IOException e) {
            throw new StoreException("read nodes: " + e.getMessage(), e);
        }
    }

    @Override
    public synchronized Optional<NodeRecord> removeNode(String name) throws StoreException {
        try {
            Optional<NodeRecord> n = nodeQuery("WHERE name = ?", name).stream().findFirst();
            if (n.isPresent()) {
                try (PreparedStatement p = conn.prepareStatement("DELETE FROM nodes WHERE name = ?")) {
                    p.setString(1, name);
                    p.executeUpdate();
                }
                conn.commit();
                names.remove(n.get().name());
                ips.remove(n.get().overlayIp());
            }
            return n;
        } catch (SQLException | IOException e) {
            rollback();
            throw new StoreException("remove node " + name + ": " + e.getMessage(), e);
        }
    }

    @Override
    public synchronized void updateSeen(NodePublicKey key, Instant lastSeen, List<InetSocketAddress> endpoints)
            throws StoreException {
        try {
            setSeen(key, lastSeen, endpoints);
            conn.commit();
        } catch (SQLException e) {
            rollback();
            throw new StoreException("update node " + key.shortString() + ": " + e.getMessage(), e);
        }
    }

    private void setSeen(NodePublicKey key, Instant lastSeen, List<InetSocketAddress> endpoints) throws SQLException {
        try (PreparedStatement p = conn.prepareStatement("UPDATE nodes SET last_seen_ms = ?, endpoints = ? WHERE node_key = ?")) {
            p.setLong(1, lastSeen.toEpochMilli());
            p.setString(2, formatEndpoints(endpoints));
            p.setString(3, key.toBase64());
            p.executeUpdate();
        }
    }

    @Override
    public synchronized void createToken(TokenRecord t) throws StoreException {
        try (PreparedStatement p = conn.prepareStatement(
                "INSERT INTO join_tokens (hash, reusable, expires_ms, tags, created_ms, uses) VALUES (?,?,?,?,?,?)")) {
            p.setString(1, HEX.formatHex(t.hash()));
            p.setBoolean(2, t.reusable());
            if (t.expires() == null) {
                p.setNull(3, java.sql.Types.BIGINT);
            } else {
                p.setLong(3, t.expires().toEpochMilli());
            }
            p.setString(4, String.join(",", new TreeSet<>(t.tags())));
            p.setLong(5, t.created().toEpochMilli());
            p.setInt(6, t.uses());
            p.executeUpdate();
            conn.commit();
        } catch (SQLException e) {
            rollback();
            throw new StoreException("create token: " + e.getMessage(), e);
        }
    }

    @Override
    public synchronized List<TokenRecord> tokens() throws StoreException {
        try (Statement s = conn.createStatement();
             ResultSet rs = s.executeQuery("SELECT hash, reusable, expires_ms, tags, created_ms, uses FROM join_tokens ORDER BY created_ms")) {
            List<TokenRecord> out = new ArrayList<>();
            while (rs.next()) {
                out.add(tokenRow(rs));
            }
            return out;
        } catch (SQLException e) {
            throw new StoreException("read tokens: " + e.getMessage(), e);
        }
    }

    private TokenRecord token(byte[] hash) throws SQLException {
        try (PreparedStatement p = conn.prepareStatement(
                "SELECT hash, reusable, expires_ms, tags, created_ms, uses FROM join_tokens WHERE hash = ?")) {
            p.setString(1, HEX.formatHex(hash));
            try (ResultSet rs = p.executeQuery()) {
                return rs.next() ? tokenRow(rs) : null;
            }
        }
    }

    private static TokenRecord tokenRow(ResultSet rs) throws SQLException {
        long exp = rs.getLong(3);
        Instant expires = rs.wasNull() ? null : Instant.ofEpochMilli(exp);
        return new TokenRecord(HEX.parseHex(rs.getString(1)), rs.getBoolean(2), expires, splitTags(rs.getString(4)),
                Instant.ofEpochMilli(rs.getLong(5)), rs.getInt(6));
    }

    @Override
    public synchronized void putAdminCredential(String name, byte[] secretHash, Instant now) throws StoreException {
        try (PreparedStatement p = conn.prepareStatement("MERGE INTO admin_credentials (name, secret_hash, created_ms) KEY (name) VALUES (?,?,?)")) {
            p.setString(1, name);
            p.setString(2, HEX.formatHex(secretHash));
            p.setLong(3, now.toEpochMilli());
            p.executeUpdate();
            conn.commit();
        } catch (SQLException e) {
            rollback();
            throw new StoreException("put admin credential: " + e.getMessage(), e);
        }
    }

    @Override
    public synchronized Optional<byte[]> adminCredential(String name) throws StoreException {
        try (PreparedStatement p = conn.prepareStatement("SELECT secret_hash FROM admin_credentials WHERE name = ?")) {
            p.setString(1, name);
            try (ResultSet rs = p.executeQuery()) {
                return rs.next() ? Optional.of(HEX.parseHex(rs.getString(1))) : Optional.empty();
            }
        } catch (SQLException e) {
            throw new StoreException("read admin credential: " + e.getMessage(), e);
        }
    }

    private List<NodeRecord> nodeQuery(String where, String arg) throws SQLException, IOException {
        try (PreparedStatement p = conn.prepareStatement(
                "SELECT node_key, name, overlay_ip, tags, created_ms, last_seen_ms, endpoints FROM nodes " + where)) {
            if (arg != null) {
                p.setString(1, arg);
            }
            List<NodeRecord> out = new ArrayList<>();
            try (ResultSet rs = p.executeQuery()) {
                while (rs.next()) {
                    out.add(new NodeRecord(NodePublicKey.fromBase64(rs.getString(1)), rs.getString(2),
                            InetAddress.getByAddress(IpPrefix.parseAddress(rs.getString(3))), splitTags(rs.getString(4)),
                            Instant.ofEpochMilli(rs.getLong(5)), Instant.ofEpochMilli(rs.getLong(6)),
                            parseEndpoints(rs.getString(7))));
                }
            }
            return out;
        }
    }

    private static Set<String> splitTags(String s) {
        return s.isEmpty() ? Set.of() : Set.copyOf(Arrays.asList(s.split(",")));
    }

    /** Endpoints as {@code addr|port} separated by spaces (IPv6 addresses contain colons). */
    static String formatEndpoints(List<InetSocketAddress> eps) {
        StringBuilder sb = new StringBuilder();
        for (InetSocketAddress e : eps) {
            if (!sb.isEmpty()) {
                sb.append(' ');
            }
            sb.append(e.getAddress().getHostAddress()).append('|').append(e.getPort());
        }
        return sb.toString();
    }

    static List<InetSocketAddress> parseEndpoints(String s) throws IOException {
        List<InetSocketAddress> out = new ArrayList<>();
        if (s == null || s.isBlank()) {
            return out;
        }
        for (String part : s.split(" ")) {
            int bar = part.lastIndexOf('|');
            out.add(new InetSocketAddress(InetAddress.getByAddress(IpPrefix.parseAddress(part.substring(0, bar))),
                    Integer.parseInt(part.substring(bar + 1))));
        }
        return out;
    }

    private void rollback() {
        try {
            conn.rollback();
        } catch (SQLException ignored) {
            // the original error is what gets reported
        }
    }

    @Override
    public synchronized void close() throws StoreException {
        try {
            conn.close();
        } catch (SQLException e) {
            throw new StoreException("close store: " + e.getMessage(), e);
        }
    }
}
