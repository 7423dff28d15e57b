package dev.gridmesh.agent.dataplane;

/** The data plane could not start (TUN, interface configuration, UDP bind); the message says which and why. */
public final class DataPlaneException extends Exception {
    public DataPlaneException(String message, Throwable cause) {
        super(message, cause);
    }

    public DataPlaneException(String message) {
        super(message);
    }
}
