package dev.gridmesh.cli.tunnel;

import dev.gridmesh.cli.CliException;
import dev.gridmesh.cli.relay.StateDirOption;
import dev.gridmesh.relay.tunnel.TunnelPolicy;
import dev.gridmesh.relay.tunnel.UserStore;
import java.io.IOException;
import java.io.PrintWriter;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code gridmesh relay user create|token|revoke|remove|list}: engineer accounts for tunnels. They edit
 * {@code STATE_DIR/tunnel-users} directly (file permissions are the credential, as for the admin socket); the
 * running relay picks changes up at the next connection. Access itself is granted in {@code STATE_DIR/tunnel-policy}.
 */
@Command(name = "user", mixinStandardHelpOptions = true, description = "Manage engineer accounts and tunnel tokens.",
        subcommands = {RelayUserCommand.Create.class, RelayUserCommand.Token.class, RelayUserCommand.Revoke.class,
                RelayUserCommand.Remove.class, RelayUserCommand.ListUsers.class})
public final class RelayUserCommand implements Runnable {
    @Spec CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "missing command (see gridmesh relay user --help)");
    }

    @Command(name = "create", mixinStandardHelpOptions = true, description = "Create a user (or set its groups).")
    public static final class Create implements Callable<Integer> {
        @Spec CommandSpec spec;
        @Mixin StateDirOption stateDir;

        @Parameters(index = "0", paramLabel = "NAME")
        String name;

        @Option(names = "--group", paramLabel = "GROUP", description = "Group for the policy (repeatable).")
        List<String> groups = new ArrayList<>();

        @Override
        public Integer call() throws CliException {
            try {
                UserStore.User u = UserStore.createUser(stateDir.get(), name, Set.copyOf(groups));
                spec.commandLine().getOut().println("user " + u.name() + (u.groups().isEmpty() ? "" : " groups " + String.join(",", u.groups()))
                        + " (grant access in " + stateDir.get().resolve(TunnelPolicy.FILE) + "; token: gridmesh relay user token " + name + ")");
                return 0;
            } catch (IllegalArgumentException | IOException e) {
                throw new CliException("relay user create", e.getMessage(), e);
            }
        }
    }

    @Command(name = "token", mixinStandardHelpOptions = true,
            description = "Issue a tunnel token for a user and print it (only this once: the relay keeps its hash).")
    public static final class Token implements Callable<Integer> {
        @Spec CommandSpec spec;
        @Mixin StateDirOption stateDir;

        @Parameters(index = "0", paramLabel = "NAME")
        String name;

        @Override
        public Integer call() throws CliException {
            try {
                String t = UserStore.issueToken(stateDir.get(), name, new SecureRandom(), Instant.now());
                spec.commandLine().getOut().println(t);
                spec.commandLine().getErr().println("token " + t.substring(4, 12) + " for " + name
                        + " (shown only now; the engineer runs: gridmesh login --server HOST:PORT --pin sha256:... --token TOKEN)");
                return 0;
            } catch (IOException e) {
                throw new CliException("relay user token", e.getMessage(), e);
            }
        }
    }

    @Command(name = "revoke", mixinStandardHelpOptions = true,
            description = "Revoke all of a user's tokens, or one with --token ID; takes effect at the next connection.")
    public static final class Revoke implements Callable<Integer> {
        @Spec CommandSpec spec;
        @Mixin StateDirOption stateDir;

        @Parameters(index = "0", paramLabel = "NAME")
        String name;

        @Option(names = "--token", paramLabel = "ID", description = "Only this token (8 hex digits, see list).")
        String tokenId;

        @Override
        public Integer call() throws CliException {
            try {
                int n = UserStore.revoke(stateDir.get(), name, tokenId);
                spec.commandLine().getOut().println("revoked " + n + " token(s) of " + name);
                return 0;
            } catch (IOException e) {
                throw new CliException("relay user revoke", e.getMessage(), e);
            }
        }
    }

    @Command(name = "remove", mixinStandardHelpOptions = true, description = "Remove a user (its tokens stop working).")
    public static final class Remove implements Callable<Integer> {
        @Spec CommandSpec spec;
        @Mixin StateDirOption stateDir;

        @Parameters(index = "0", paramLabel = "NAME")
        String name;

        @Override
        public Integer call() throws CliException {
            try {
                if (!UserStore.removeUser(stateDir.get(), name)) {
                    throw new CliException("relay user remove", "no user " + name);
                }
                spec.commandLine().getOut().println("removed user " + name);
                return 0;
            } catch (IOException e) {
                throw new CliException("relay user remove", e.getMessage(), e);
            }
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List users and their tokens (ids only).")
    public static final class ListUsers implements Callable<Integer> {
        @Spec CommandSpec spec;
        @Mixin StateDirOption stateDir;

        @Override
        public Integer call() throws CliException {
            UserStore s;
            try {
                s = UserStore.load(stateDir.get());
            } catch (IOException e) {
                throw new CliException("relay user list", e.getMessage(), e);
            }
            PrintWriter out = spec.commandLine().getOut();
            for (UserStore.User u : s.users()) {
                StringBuilder b = new StringBuilder(u.name()).append("  groups=")
                        .append(u.groups().isEmpty() ? "-" : String.join(",", u.groups())).append("  tokens=");
                List<String> ts = new ArrayList<>();
                for (UserStore.Token t : s.tokens()) {
                    if (t.user().equals(u.name())) {
                        ts.add(t.id() + (t.revoked() ? "(revoked)" : ""));
                    }
                }
                out.println(b.append(ts.isEmpty() ? "-" : String.join(",", ts)));
            }
            return 0;
        }
    }
}
