package dev.gridmesh.cli.wgquick;

import dev.gridmesh.cli.CliException;
import java.io.File;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs wg-quick's PreUp/PostUp/PreDown/PostDown commands as wg-quick(8) does: {@code bash -c COMMAND} with every
 * {@code %i} replaced by the interface name, one after the other, output to ours, each logged as {@code [#] COMMAND}.
 * Each command is bounded by a timeout (then killed and counted as failed).
 */
final class Hooks {
    private static final Logger log = LoggerFactory.getLogger(Hooks.class);

    private final String interfaceName;
    private final Duration timeout;

    Hooks(String interfaceName, Duration timeout) {
        this.interfaceName = interfaceName;
        this.timeout = timeout;
    }

    /** Runs {@code commands} in order; the first failure stops them and is thrown (PreUp, PostUp). */
    void runOrFail(String phase, List<String> commands) throws CliException {
        for (String c : commands) {
            String failure = run(c);
            if (failure != null) {
                throw new CliException("wg-quick up " + interfaceName, phase + ": `" + c + "` " + failure);
            }
        }
    }

    /** Runs all {@code commands}, logging failures (PreDown, PostDown: tear-down goes on regardless). */
    void runAll(String phase, List<String> commands) {
        for (String c : commands) {
            String failure = run(c);
            if (failure != null) {
                log.warn("{}: {}: `{}` {}", interfaceName, phase, c, failure);
            }
        }
    }

    /** Null on success, else what went wrong ("exited 1"). */
    private String run(String command) {
        String cmd = command.replace("%i", interfaceName);
        log.info("[#] {}", cmd);
        Process p;
        try {
            p = new ProcessBuilder("bash", "-c", cmd).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .redirectOutput(ProcessBuilder.Redirect.INHERIT).redirectError(ProcessBuilder.Redirect.INHERIT)
                    .start();
        } catch (IOException e) {
            return "could not start bash: " + e.getMessage();
        }
        try {
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
                return "did not finish within " + timeout.toSeconds() + " s (killed)";
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            p.destroyForcibly();
            return "interrupted";
        }
        return p.exitValue() == 0 ? null : "exited " + p.exitValue();
    }
}
