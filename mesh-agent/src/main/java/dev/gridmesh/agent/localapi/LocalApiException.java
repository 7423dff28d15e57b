package dev.gridmesh.agent.localapi;

/** A local API call or the server's start failed; the message says what to do about it where that is known. */
public final class LocalApiException extends Exception {
    public LocalApiException(String message) {
        super(message);
    }

    public LocalApiException(String message, Throwable cause) {
        super(message, cause);
    }
}
