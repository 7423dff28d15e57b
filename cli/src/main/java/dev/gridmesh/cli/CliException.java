package dev.gridmesh.cli;

import java.util.Objects;

/**
 * A command failed for a reason the user can act on. Printed as one line, {@code gridmesh: WHAT: REASON},
 * with exit code 1; no stack trace unless {@code --debug}.
 */
public final class CliException extends Exception {
    private final String what;
    private final String reason;

    public CliException(String what, String reason) {
        this(what, reason, null);
    }

    public CliException(String what, String reason, Throwable cause) {
        super(what + ": " + reason, cause);
        this.what = Objects.requireNonNull(what, "what");
        this.reason = Objects.requireNonNull(reason, "reason");
    }

    public String what() {
        return what;
    }

    public String reason() {
        return reason;
    }
}
