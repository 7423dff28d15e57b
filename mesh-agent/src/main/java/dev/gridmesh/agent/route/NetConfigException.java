package dev.gridmesh.agent.route;

/** Configuring the tunnel interface failed; the message names the interface and the step. */
public final class NetConfigException extends Exception {
    public NetConfigException(String message, Throwable cause) {
        super(message, cause);
    }

    public NetConfigException(String message) {
        super(message);
    }
}
