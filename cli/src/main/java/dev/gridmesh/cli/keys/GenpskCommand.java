package dev.gridmesh.cli.keys;

import dev.gridmesh.cli.GridmeshCommand;
import dev.gridmesh.crypto.PresharedKey;
import java.security.SecureRandom;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code gridmesh genpsk}: prints a new pre-shared key, exactly as {@code wg genpsk} does. */
@Command(name = "genpsk", mixinStandardHelpOptions = true,
        description = "Print a new random pre-shared key in WireGuard's base64 form (like `wg genpsk`).")
public final class GenpskCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Override
    public Integer call() {
        if (GridmeshCommand.root(spec).processStreams()) {
            StdoutFiles.warnIfWorldReadable(spec.commandLine().getErr());
        }
        spec.commandLine().getOut().println(PresharedKey.generate(new SecureRandom()).toBase64());
        return 0;
    }
}
