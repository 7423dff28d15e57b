package dev.gridmesh.agent.route;

import java.util.List;

/** An OS command failed; the message holds the command line, the exit status and what it printed on stderr. */
public final class CommandException extends Exception {
    private final List<String> command;
    private final int exitCode;
    private final String stderr;

    public CommandException(List<String> command, int exitCode, String stderr) {
        super("`" + String.join(" ", command) + "` failed (exit " + exitCode + ")"
                + (stderr.isBlank() ? "" : ": " + stderr.strip()));
        this.command = List.copyOf(command);
        this.exitCode = exitCode;
        this.stderr = stderr;
    }

    public CommandException(List<String> command, String reason, Throwable cause) {
        super("`" + String.join(" ", command) + "`: " + reason, cause);
        this.command = List.copyOf(command);
        this.exitCode = -1;
        this.stderr = "";
    }

    public List<String> command() {
        return command;
    }

    /** The exit status, or -1 when the command did not run (not found, timed out). */
    public int exitCode() {
        return exitCode;
    }

    public String stderr() {
        return stderr;
    }
}
