package dev.gridmesh.cli;

import java.io.ByteArrayInputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import picocli.CommandLine;

/** Runs the gridmesh command line in-process with given stdin, capturing exit code, stdout and stderr. */
public record CliRun(int exit, String out, String err) {
    public static CliRun withStdin(String stdin, String... args) {
        return withFactory(CommandLine.defaultFactory(), stdin, args);
    }

    /** With a picocli factory that may hand out commands wired to fakes. */
    public static CliRun withFactory(CommandLine.IFactory factory, String stdin, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int exit = GridmeshCommand.run(factory, new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)),
                new PrintWriter(out), new PrintWriter(err), args);
        return new CliRun(exit, out.toString(), err.toString());
    }

    public static CliRun run(String... args) {
        return withStdin("", args);
    }

    /** stderr's lines. */
    public String[] errLines() {
        return err.isEmpty() ? new String[0] : err.split("\n");
    }
}
