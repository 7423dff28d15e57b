package dev.gridmesh.testsupport.lab;

import java.util.List;

/** The outcome of one command run to completion inside (or outside) a lab namespace. */
public record ExecResult(List<String> command, int exitCode, String stdout, String stderr) {
    public ExecResult {
        command = List.copyOf(command);
    }

    public boolean ok() {
        return exitCode == 0;
    }

    /** Returns this result, or throws with the command, exit code and both streams when it failed. */
    public ExecResult requireOk() {
        if (!ok()) {
            throw new LabException("command failed (exit " + exitCode + "): " + String.join(" ", command)
                    + "\nstdout: " + stdout.strip() + "\nstderr: " + stderr.strip());
        }
        return this;
    }
}
