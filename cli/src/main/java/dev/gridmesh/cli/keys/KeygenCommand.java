package dev.gridmesh.cli.keys;

import dev.gridmesh.cli.GridmeshCommand;
import dev.gridmesh.crypto.NodePrivateKey;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code gridmesh keygen}: prints a new private key, exactly as {@code wg genkey} does. */
@Command(name = "keygen", aliases = "genkey", mixinStandardHelpOptions = true,
        description = {"Print a new random private key in WireGuard's base64 form (like `wg genkey`).",
                "Typical use: umask 077; gridmesh keygen > private.key"})
public final class KeygenCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Override
    public Integer call() {
        if (GridmeshCommand.root(spec).processStreams()) {
            StdoutFiles.warnIfWorldReadable(spec.commandLine().getErr());
        }
        spec.commandLine().getOut().println(NodePrivateKey.generate().toBase64());
        return 0;
    }
}
