package dev.gridmesh.agent.control;

/** The agent's state dir is unusable (cannot be created, locked by another agent, bad or unwritable key file). */
public final class StateDirException extends Exception {
    public StateDirException(String message) {
        super(message);
    }

    public StateDirException(String message, Throwable cause) {
        super(message, cause);
    }
}
