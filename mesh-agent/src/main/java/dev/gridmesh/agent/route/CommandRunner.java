package dev.gridmesh.agent.route;

import java.util.List;

/** Runs an OS command to completion. The real one forks a process; tests record the commands instead. */
public interface CommandRunner {
    /**
     * Runs {@code argv} (no shell) and returns its stdout.
     *
     * @throws CommandException on a non-zero exit, a missing program or a timeout; the message includes stderr
     */
    String run(List<String> argv) throws CommandException;
}
