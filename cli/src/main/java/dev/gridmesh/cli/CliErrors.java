package dev.gridmesh.cli;

import dev.gridmesh.agent.wgquick.ConfigException;
import java.io.PrintWriter;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.IExecutionExceptionHandler;
import picocli.CommandLine.IParameterExceptionHandler;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.UnmatchedArgumentException;

/**
 * Turns any failure into exactly one line on stderr, {@code gridmesh: WHAT: REASON}: exit 2 for usage errors,
 * 1 for failures. With {@code --debug} the stack trace follows the line.
 */
final class CliErrors implements IExecutionExceptionHandler, IParameterExceptionHandler {
    static final int EXIT_FAILURE = 1;
    static final int EXIT_USAGE = 2;

    private final GridmeshCommand root;

    CliErrors(GridmeshCommand root) {
        this.root = root;
    }

    @Override
    public int handleParseException(ParameterException ex, String[] args) {
        CommandLine cl = ex.getCommandLine();
        PrintWriter err = cl.getErr();
        String name = cl.getCommandSpec().qualifiedName();
        String msg = oneLine(ex.getMessage());
        if (!msg.isEmpty()) {
            msg = Character.toLowerCase(msg.charAt(0)) + msg.substring(1);
        }
        if (ex instanceof UnmatchedArgumentException u) {
            List<String> unmatched = u.getUnmatched();
            if (!cl.getSubcommands().isEmpty() && !unmatched.isEmpty() && !unmatched.getFirst().startsWith("-")) {
                msg = "unknown command: '" + unmatched.getFirst() + "'";
            }
            List<String> suggestions = u.getSuggestions();
            if (!suggestions.isEmpty()) {
                msg += " (did you mean: " + String.join(", ", suggestions) + "?)";
            }
        }
        err.println("gridmesh: " + commandPath(name) + msg + " (see '" + name + " --help')");
        if (root.debug() || debugRequested(args)) {
            ex.printStackTrace(err);
        }
        err.flush();
        return EXIT_USAGE;
    }

    @Override
    public int handleExecutionException(Exception ex, CommandLine cl, ParseResult parseResult) {
        PrintWriter err = cl.getErr();
        err.println("gridmesh: " + describe(ex, cl.getCommandSpec().qualifiedName()));
        if (root.debug()) {
            ex.printStackTrace(err);
        }
        err.flush();
        return EXIT_FAILURE;
    }

    /** The one-line text after {@code gridmesh: } for an exception thrown by a command. */
    static String describe(Throwable ex, String qualifiedName) {
        if (ex instanceof CliException c) {
            return oneLine(c.what()) + ": " + oneLine(c.reason());
        }
        if (ex instanceof ConfigException) {
            return oneLine(ex.getMessage()); // already FILE:LINE: KEY: reason
        }
        String reason = ex.getMessage() == null || ex.getMessage().isBlank()
                ? ex.getClass().getSimpleName()
                : ex.getMessage();
        if (ex.getCause() != null && ex.getCause().getMessage() != null && !reason.contains(ex.getCause().getMessage())) {
            reason += ": " + ex.getCause().getMessage();
        }
        return commandPath(qualifiedName) + oneLine(reason);
    }

    /** {@code gridmesh wg-quick up} -> {@code wg-quick up: }; the root alone -> empty. */
    private static String commandPath(String qualifiedName) {
        String s = qualifiedName.startsWith("gridmesh") ? qualifiedName.substring("gridmesh".length()).strip() : qualifiedName;
        return s.isEmpty() ? "" : s + ": ";
    }

    private static String oneLine(String s) {
        return s == null ? "" : s.strip().replaceAll("\\s*[\\r\\n]+\\s*", "; ");
    }

    private static boolean debugRequested(String[] args) {
        for (String a : args) {
            if (a.equals("--debug")) {
                return true;
            }
        }
        return false;
    }
}
