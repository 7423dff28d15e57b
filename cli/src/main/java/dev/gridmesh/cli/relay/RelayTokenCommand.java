package dev.gridmesh.cli.relay;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gridmesh.cli.CliException;
import dev.gridmesh.relay.admin.AdminProtocol;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code gridmesh relay token create}: a join token, printed once. */
@Command(name = "token", mixinStandardHelpOptions = true, description = "Manage join tokens of the running relay.",
        subcommands = {RelayTokenCommand.Create.class, RelayTokenCommand.ListTokens.class})
public final class RelayTokenCommand implements Runnable {
    @Spec CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "missing command (see gridmesh relay token --help)");
    }

    @Command(name = "create", mixinStandardHelpOptions = true,
            description = {"Create a join token and print it (only this once: the relay keeps only its hash).",
                    "An agent presents it on first start: gridmesh agent --token TOKEN ..."})
    public static final class Create implements Callable<Integer> {
        @Spec CommandSpec spec;
        @Mixin StateDirOption stateDir;

        @Option(names = "--reusable", description = "Admit any number of nodes (default: one node).")
        boolean reusable;

        @Option(names = "--expires", paramLabel = "DURATION", converter = DurationConverter.class,
                description = "Expire after this long, e.g. 24h or 7d (default: never).")
        Duration expires;

        @Option(names = "--tag", paramLabel = "TAG", description = "Tag the nodes it admits (repeatable).")
        List<String> tags = new ArrayList<>();

        @Option(names = "--json", description = "Print the token and its record as JSON.")
        boolean json;

        @Override
        public Integer call() throws CliException {
            JsonNode r = AdminCall.call("relay token create", stateDir.get(), AdminProtocol.TOKEN_CREATE, req -> {
                req.put("reusable", reusable);
                if (expires != null) {
                    req.put("expiresSeconds", expires.toSeconds());
                }
                tags.forEach(req.withArray("tags")::add);
            });
            PrintWriter out = spec.commandLine().getOut();
            if (json) {
                out.println(r.toString());
            } else {
                out.println(r.path("token").asText());
                JsonNode rec = r.path("record");
                spec.commandLine().getErr().println("token " + rec.path("id").asText() + ": "
                        + (rec.path("reusable").asBoolean() ? "reusable" : "one-off")
                        + (rec.path("expires").isNull() ? ", never expires" : ", expires " + rec.path("expires").asText())
                        + (rec.path("tags").isEmpty() ? "" : ", tags " + join(rec.path("tags")))
                        + " (shown only now)");
            }
            return 0;
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true,
            description = "List join tokens (id = first 8 hex digits of the stored hash; the token text is never kept).")
    public static final class ListTokens implements Callable<Integer> {
        @Spec CommandSpec spec;
        @Mixin StateDirOption stateDir;

        @Option(names = "--json", description = "Print {\"tokens\":[...]} as JSON.")
        boolean json;

        @Override
        public Integer call() throws CliException {
            JsonNode r = AdminCall.call("relay token list", stateDir.get(), AdminProtocol.TOKENS, req -> { });
            PrintWriter out = spec.commandLine().getOut();
            if (json) {
                out.println("{\"tokens\":" + r.path("tokens").toString() + "}");
                return 0;
            }
            out.printf("%-8s  %-8s  %-4s  %-30s  %s%n", "ID", "KIND", "USES", "EXPIRES", "TAGS");
            for (JsonNode t : r.path("tokens")) {
                out.printf("%-8s  %-8s  %-4d  %-30s  %s%n", t.path("id").asText(),
                        t.path("reusable").asBoolean() ? "reusable" : "one-off", t.path("uses").asInt(),
                        t.path("expires").isNull() ? "never" : t.path("expires").asText(),
                        t.path("tags").isEmpty() ? "-" : join(t.path("tags")));
            }
            return 0;
        }
    }

    static String join(JsonNode arr) {
        List<String> s = new ArrayList<>();
        arr.forEach(n -> s.add(n.asText()));
        return String.join(",", s);
    }
}
