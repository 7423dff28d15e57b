package dev.gridmesh.cli.wgquick;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/** Where a running interface's local API socket lives: {@code /run/gridmesh/IFNAME.sock}. */
public final class SocketPaths {
    /** The directory of the sockets (and nothing else of ours). */
    public static final Path DEFAULT_DIR = Path.of("/run/gridmesh");
    static final String SUFFIX = ".sock";

    private SocketPaths() {}

    public static Path socket(Path dir, String interfaceName) {
        return dir.resolve(interfaceName + SUFFIX);
    }

    /** Interface names with a socket in {@code dir}, sorted; empty when the directory does not exist. */
    static List<String> interfaces(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        List<String> names = new ArrayList<>();
        try (Stream<Path> s = Files.list(dir)) {
            s.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(SUFFIX) && n.length() > SUFFIX.length())
                    .sorted().forEach(n -> names.add(n.substring(0, n.length() - SUFFIX.length())));
        }
        return names;
    }
}
