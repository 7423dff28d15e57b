package dev.gridmesh.cli.operator;

import java.util.concurrent.Callable;
import picocli.AutoComplete;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code gridmesh completion bash}: a bash (and zsh, via bashcompinit) completion script generated from the picocli
 * model of every command, so it never lags behind the commands. Install:
 * {@code gridmesh completion bash > /etc/bash_completion.d/gridmesh}.
 */
@Command(name = "completion", mixinStandardHelpOptions = true,
        description = {"Print a shell completion script generated from the command model.",
                "bash: gridmesh completion bash > /etc/bash_completion.d/gridmesh",
                "zsh:  autoload -U +X bashcompinit && bashcompinit && source <(gridmesh completion bash)"})
public final class CompletionCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "SHELL", description = "bash (also serves zsh through bashcompinit).",
            completionCandidates = Shells.class)
    String shell;

    static final class Shells implements Iterable<String> {
        @Override
        public java.util.Iterator<String> iterator() {
            return java.util.List.of("bash").iterator();
        }
    }

    @Override
    public Integer call() {
        if (!shell.equals("bash") && !shell.equals("zsh")) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(),
                    "shell: " + shell + " (expected: bash or zsh)");
        }
        var root = spec.root().commandLine();
        spec.commandLine().getOut().print(AutoComplete.bash(root.getCommandName(), root));
        spec.commandLine().getOut().flush();
        return 0;
    }
}
