package dev.gridmesh.cli;

/** Entry point of the one {@code gridmesh} command. */
public final class Main {
    private Main() {}

    public static void main(String[] args) {
        System.exit(GridmeshCommand.run(args));
    }
}
