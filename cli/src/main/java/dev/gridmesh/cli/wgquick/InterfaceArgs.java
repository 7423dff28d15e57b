package dev.gridmesh.cli.wgquick;

import dev.gridmesh.agent.wgquick.ConfigException;
import dev.gridmesh.agent.wgquick.WgQuickParser;
import dev.gridmesh.cli.CliException;
import java.nio.file.Path;

/** How wg-quick reads its argument: a {@code FILE.conf} path, or an interface name meaning /etc/wireguard/NAME.conf. */
final class InterfaceArgs {
    static final Path CONFIG_DIR = Path.of("/etc/wireguard");

    private InterfaceArgs() {}

    /** The config file an argument stands for. */
    static Path configFile(String arg) {
        if (arg.endsWith(".conf") || arg.contains("/")) {
            return Path.of(arg);
        }
        return CONFIG_DIR.resolve(arg + ".conf");
    }

    /** The interface name an argument stands for: a name as is, or a file's name without .conf. */
    static String interfaceName(String arg) throws CliException {
        try {
            return WgQuickParser.interfaceName(configFile(arg));
        } catch (ConfigException e) {
            throw new CliException(arg, "not an interface name or FILE.conf (expected: 1-15 characters of"
                    + " a-z A-Z 0-9 _ = + . -)");
        }
    }
}
