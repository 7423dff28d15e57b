package dev.gridmesh.agent.route;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/** Records each command line (joined by spaces) instead of running it; can fail chosen commands. */
public final class RecordingRunner implements CommandRunner {
    private final List<String> commands = new ArrayList<>();
    private Predicate<String> failWhen = c -> false;
    private String failStderr = "";

    @Override
    public synchronized String run(List<String> argv) throws CommandException {
        String line = String.join(" ", argv);
        commands.add(line);
        if (failWhen.test(line)) {
            throw new CommandException(argv, 2, failStderr);
        }
        return "";
    }

    /** Commands matching {@code when} fail with exit 2 and {@code stderr}. */
    public synchronized RecordingRunner failing(Predicate<String> when, String stderr) {
        this.failWhen = when;
        this.failStderr = stderr;
        return this;
    }

    public synchronized List<String> commands() {
        return List.copyOf(commands);
    }
}
