package dev.gridmesh.agent.mesh;

/** The agent cannot start or had to stop for good; the message is one line a user can act on. */
public final class AgentException extends Exception {
    public AgentException(String message) {
        super(message);
    }

    public AgentException(String message, Throwable cause) {
        super(message, cause);
    }
}
