package dev.gridmesh.relay.tunnel;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * Engineer accounts and their tunnel tokens, in one text file in the relay's state dir ({@code tunnel-users}, mode
 * 0600). Tokens are kept only as SHA-256. Written by {@code gridmesh relay user ...} on the relay's host (under a
 * file lock, replaced atomically) and re-read by the running relay whenever the file changes, so a revocation takes
 * effect at the next connection without a restart.
 *
 * <pre>
 * user alice ops,gpu-admins
 * token 3f9a0c1e alice 5d41...(sha-256 hex) 2026-11-28T19:00:00Z active
 * token 77b0d2aa alice 0a1b...              2026-11-28T19:05:00Z revoked
 * </pre>
 *
 * Token text: {@code gmu_<id, 8 hex>_<32 base64url characters, 192 random bits>}. Immutable snapshot; the static
 * mutators write the file.
 */
public final class UserStore {
    public static final String FILE = "tunnel-users";
    public static final String PREFIX = "gmu_";
    private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9._-]{0,31}");

    public record User(String name, Set<String> groups) {}

    public record Token(String id, String user, byte[] hash, Instant created, boolean revoked) {}

    /** Result of {@link #authenticate}. */
    public sealed interface Auth {
        record Ok(User user, String tokenId) implements Auth {}

        record Refused(String reason) implements Auth {}
    }

    private final Map<String, User> users;
    private final Map<String, Token> tokens;

    private UserStore(Map<String, User> users, Map<String, Token> tokens) {
        this.users = users;
        this.tokens = tokens;
    }

    public static UserStore empty() {
        return new UserStore(new LinkedHashMap<>(), new LinkedHashMap<>());
    }

    public List<User> users() {
        return List.copyOf(users.values());
    }

    public List<Token> tokens() {
        return List.copyOf(tokens.values());
    }

    public User user(String name) {
        return users.get(name);
    }

    /** Checks a presented token: known, active, its user still there. Constant-time hash comparison. */
    public Auth authenticate(String token) {
        if (token == null || !token.startsWith(PREFIX) || token.length() != PREFIX.length() + 8 + 1 + 32
                || token.charAt(PREFIX.length() + 8) != '_') {
            return new Auth.Refused("malformed token (expected: gmu_<id>_<secret>, from `gridmesh relay user token NAME`)");
        }
        String id = token.substring(PREFIX.length(), PREFIX.length() + 8);
        Token t = tokens.get(id);
        byte[] h = hash(token);
        if (t == null || !MessageDigest.isEqual(t.hash(), h)) {
            return new Auth.Refused("token not recognised by this relay");
        }
        if (t.revoked()) {
            return new Auth.Refused("token " + id + " of user " + t.user() + " was revoked");
        }
        User u = users.get(t.user());
        if (u == null) {
            return new Auth.Refused("user " + t.user() + " no longer exists");
        }
        return new Auth.Ok(u, id);
    }

    // ------------------------------------------------------------------ file

    /** Reads {@code dir/tunnel-users}; a missing file is an empty store. Errors name {@code file:line}. */
    public static UserStore load(Path dir) throws IOException {
        Path f = dir.resolve(FILE);
        List<String> lines;
        try {
            lines = Files.readAllLines(f, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            return empty();
        }
        Map<String, User> users = new LinkedHashMap<>();
        Map<String, Token> tokens = new LinkedHashMap<>();
        int n = 0;
        for (String raw : lines) {
            n++;
            String line = raw.strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            String[] p = line.split("\\s+");
            try {
                switch (p[0]) {
                    case "user" -> {
                        if (p.length != 3) {
                            throw new IllegalArgumentException("user: expected: user NAME GROUPS|-");
                        }
                        users.put(p[1], new User(p[1], groups(p[2])));
                    }
                    case "token" -> {
                        if (p.length != 6) {
                            throw new IllegalArgumentException("token: expected: token ID USER SHA256 CREATED active|revoked");
                        }
                        tokens.put(p[1], new Token(p[1], p[2], HexFormat.of().parseHex(p[3]), Instant.parse(p[4]),
                                p[5].equals("revoked")));
                    }
                    default -> throw new IllegalArgumentException(p[0] + ": unknown record (expected: user, token)");
                }
            } catch (RuntimeException e) {
                throw new IOException(f + ":" + n + ": " + e.getMessage(), e);
            }
        }
        return new UserStore(users, tokens);
    }

    private static Set<String> groups(String s) {
        Set<String> g = new TreeSet<>();
        if (!s.equals("-")) {
            for (String x : s.split(",")) {
                if (!x.isEmpty()) {
                    g.add(x);
                }
            }
        }
        return Set.copyOf(g);
    }

    private void write(Path dir) throws IOException {
        StringBuilder b = new StringBuilder("# gridmesh tunnel users: written by `gridmesh relay user`; tokens as SHA-256\n");
        for (User u : users.values()) {
            b.append("user ").append(u.name()).append(' ')
                    .append(u.groups().isEmpty() ? "-" : String.join(",", new TreeSet<>(u.groups()))).append('\n');
        }
        for (Token t : tokens.values()) {
            b.append("token ").append(t.id()).append(' ').append(t.user()).append(' ')
                    .append(HexFormat.of().formatHex(t.hash())).append(' ').append(t.created()).append(' ')
                    .append(t.revoked() ? "revoked" : "active").append('\n');
        }
        Path tmp = dir.resolve(FILE + ".tmp");
        Files.deleteIfExists(tmp);
        Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(tmp, b, StandardCharsets.UTF_8);
        try {
            Files.move(tmp, dir.resolve(FILE), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, dir.resolve(FILE), StandardCopyOption.REPLACE_EXISTING);
        }
    }

    private interface Change<T> {
        T apply(UserStore s) throws IOException;
    }

    private static <T> T update(Path dir, Change<T> change) throws IOException {
        Files.createDirectories(dir);
        try (FileChannel lock = FileChannel.open(dir.resolve(FILE + ".lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
             FileLock ignored = lock.lock()) {
            UserStore s = load(dir);
            UserStore copy = new UserStore(new LinkedHashMap<>(s.users), new LinkedHashMap<>(s.tokens));
            T r = change.apply(copy);
            copy.write(dir);
            return r;
        }
    }

    public static void checkName(String name) {
        if (!NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("user name " + name + " (expected: [a-z0-9][a-z0-9._-]{0,31})");
        }
    }

    /** Adds a user (or sets the groups of an existing one). */
    public static User createUser(Path dir, String name, Set<String> groups) throws IOException {
        checkName(name);
        for (String g : groups) {
            checkName(g);
        }
        return update(dir, s -> {
            User u = new User(name, Set.copyOf(groups));
            s.users.put(name, u);
            return u;
        });
    }

    /** Issues a new token for {@code name}; the text is returned once and never stored. */
    public static String issueToken(Path dir, String name, SecureRandom random, Instant now) throws IOException {
        return update(dir, s -> {
            if (!s.users.containsKey(name)) {
                throw new IOException("no user " + name + " (create it: gridmesh relay user create " + name + ")");
            }
            String id;
            do {
                id = HexFormat.of().formatHex(new byte[] {(byte) random.nextInt(), (byte) random.nextInt(),
                        (byte) random.nextInt(), (byte) random.nextInt()});
            } while (s.tokens.containsKey(id));
            byte[] secret = new byte[24];
            random.nextBytes(secret);
            String token = PREFIX + id + "_" + Base64.getUrlEncoder().withoutPadding().encodeToString(secret);
            s.tokens.put(id, new Token(id, name, hash(token), now, false));
            return token;
        });
    }

    /** Revokes every token of {@code name} ({@code tokenId} null) or the one token {@code tokenId}; returns how many. */
    public static int revoke(Path dir, String name, String tokenId) throws IOException {
        return update(dir, s -> {
            if (name != null && !s.users.containsKey(name)) {
                throw new IOException("no user " + name);
            }
            int count = 0;
            for (Token t : new ArrayList<>(s.tokens.values())) {
                if (!t.revoked() && (name == null || t.user().equals(name)) && (tokenId == null || t.id().equals(tokenId))) {
                    s.tokens.put(t.id(), new Token(t.id(), t.user(), t.hash(), t.created(), true));
                    count++;
                }
            }
            if (tokenId != null && count == 0) {
                throw new IOException("no active token " + tokenId + (name == null ? "" : " of user " + name));
            }
            return count;
        });
    }

    /** Removes the user and revokes its tokens. */
    public static boolean removeUser(Path dir, String name) throws IOException {
        return update(dir, s -> {
            boolean had = s.users.remove(name) != null;
            for (Token t : new ArrayList<>(s.tokens.values())) {
                if (t.user().equals(name) && !t.revoked()) {
                    s.tokens.put(t.id(), new Token(t.id(), t.user(), t.hash(), t.created(), true));
                }
            }
            return had;
        });
    }

    static byte[] hash(String token) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Stamp of the file for change detection (modified time and size), or null when missing. */
    static String stamp(Path dir, String file) {
        try {
            BasicFileAttributes a = Files.readAttributes(dir.resolve(file), BasicFileAttributes.class);
            return a.lastModifiedTime().toMillis() + "/" + a.size() + "/" + a.fileKey();
        } catch (IOException e) {
            return null;
        }
    }
}
