package dev.gridmesh.testsupport.lab;

/** A lab set-up or tear-down step that failed (a command exited non-zero, a process would not start). */
public final class LabException extends RuntimeException {
    public LabException(String message) {
        super(message);
    }

    public LabException(String message, Throwable cause) {
        super(message, cause);
    }
}
