package dev.gridmesh.cli;

import dev.gridmesh.cli.keys.GenpskCommand;
import dev.gridmesh.cli.keys.KeygenCommand;
import dev.gridmesh.cli.keys.PubkeyCommand;
import dev.gridmesh.cli.log.Logging;
import dev.gridmesh.cli.wgquick.WgQuickCommand;
import dev.gridmesh.cli.wgquick.WgQuickShowCommand;
import java.io.InputStream;
import java.io.PrintWriter;
import java.util.Objects;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

/**
 * The root {@code gridmesh} command; subcommands register here, one class per command or noun.
 * To add one, append its class to the {@code subcommands} list below (one line each).
 */
@Command(name = "gridmesh", mixinStandardHelpOptions = true, versionProvider = Version.class,
        description = "Peer-to-peer mesh VPN and reverse-tunnel daemon.",
        subcommands = {
                CommandLine.HelpCommand.class,
                KeygenCommand.class,
                PubkeyCommand.class,
                GenpskCommand.class,
                WgQuickCommand.class,
                WgQuickShowCommand.class,
                dev.gridmesh.cli.agent.AgentCommand.class,
                dev.gridmesh.cli.agent.StatusCommand.class,
                dev.gridmesh.cli.agent.NetcheckCommand.class,
                dev.gridmesh.cli.agent.PingCommand.class,
                dev.gridmesh.cli.relay.RelayCommand.class,
                dev.gridmesh.cli.operator.PeersCommand.class,
                dev.gridmesh.cli.operator.UpCommand.class,
                dev.gridmesh.cli.operator.DownCommand.class,
                dev.gridmesh.cli.operator.LogoutCommand.class,
                dev.gridmesh.cli.operator.CompletionCommand.class,
                dev.gridmesh.cli.tunnel.LoginCommand.class,
                dev.gridmesh.cli.tunnel.TunnelCommand.class,
                dev.gridmesh.cli.tunnel.SshCommand.class,
                dev.gridmesh.cli.tunnel.SshConfigCommand.class,
                dev.gridmesh.cli.tunnel.ForwardCommand.class,
        })
public final class GridmeshCommand implements Runnable {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    private final InputStream stdin;
    private final boolean processStreams;
    private boolean debug;

    /** The root command of the process, on its standard streams. */
    public GridmeshCommand() {
        this.stdin = System.in;
        this.processStreams = true;
    }

    /** A root command reading standard input from {@code stdin} (tests pass their own). */
    public GridmeshCommand(InputStream stdin) {
        this.stdin = Objects.requireNonNull(stdin, "stdin");
        this.processStreams = false;
    }

    @Option(names = "--debug", scope = ScopeType.INHERIT,
            description = "Log at DEBUG level and print stack traces with errors.")
    void setDebug(boolean debug) {
        this.debug = debug;
        if (debug) {
            Logging.enableDebug();
        }
    }

    public boolean debug() {
        return debug;
    }

    public InputStream stdin() {
        return stdin;
    }

    /** Whether out/err are the process's own stdout/stderr (false when a test supplies writers). */
    public boolean processStreams() {
        return processStreams;
    }

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "missing command");
    }

    /** A command line set up with gridmesh's error handling: one line per failure, exit 1 failure, 2 usage. */
    public static CommandLine commandLine(GridmeshCommand root) {
        return commandLine(root, CommandLine.defaultFactory());
    }

    /** The same, creating subcommands with {@code factory} (tests inject fakes into commands this way). */
    public static CommandLine commandLine(GridmeshCommand root, CommandLine.IFactory factory) {
        CommandLine cl = new CommandLine(root, factory);
        CliErrors errors = new CliErrors(root);
        cl.setExecutionExceptionHandler(errors);
        cl.setParameterExceptionHandler(errors);
        return cl;
    }

    public static int run(String... args) {
        return commandLine(new GridmeshCommand()).execute(args);
    }

    /** Runs with the given standard streams; for tests and embedding. */
    public static int run(InputStream in, PrintWriter out, PrintWriter err, String... args) {
        return run(CommandLine.defaultFactory(), in, out, err, args);
    }

    /** Runs with the given standard streams and subcommand factory; for tests. */
    public static int run(CommandLine.IFactory factory, InputStream in, PrintWriter out, PrintWriter err,
            String... args) {
        CommandLine cl = commandLine(new GridmeshCommand(in), factory);
        cl.setOut(out);
        cl.setErr(err);
        try {
            return cl.execute(args);
        } finally {
            out.flush();
            err.flush();
        }
    }

    /** The root command object of {@code spec}'s command tree. */
    public static GridmeshCommand root(CommandLine.Model.CommandSpec spec) {
        return (GridmeshCommand) spec.root().userObject();
    }
}
