package dev.gridmesh.cli.wgquick;

import dev.gridmesh.agent.dataplane.DataPlane;
import dev.gridmesh.agent.dataplane.DataPlaneConfig;
import dev.gridmesh.agent.dataplane.DataPlaneException;
import dev.gridmesh.agent.dataplane.DataPlaneLocalApi;
import dev.gridmesh.agent.dataplane.DataPlaneOptions;
import dev.gridmesh.agent.localapi.LocalApiException;
import dev.gridmesh.agent.localapi.LocalApiHandler;
import dev.gridmesh.agent.localapi.LocalApiProtocol;
import dev.gridmesh.agent.localapi.LocalApiServer;
import dev.gridmesh.agent.wgquick.ConfigException;
import dev.gridmesh.agent.wgquick.WgQuickConfig;
import dev.gridmesh.agent.wgquick.WgQuickParser;
import dev.gridmesh.cli.CliException;
import dev.gridmesh.protocol.wg.WgTimers;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code gridmesh wg-quick up FILE.conf|IFNAME}: parses the file, opens the local API socket
 * ({@code /run/gridmesh/IFNAME.sock}), runs PreUp, brings the data plane up (TUN, addresses, routes, UDP), runs
 * PostUp, prints what it did, and runs in the foreground until SIGINT, SIGTERM or {@code gridmesh wg-quick down};
 * then runs PreDown, removes the interface, runs PostDown, removes the socket and exits 0.
 */
@Command(name = "up", mixinStandardHelpOptions = true,
        description = {"Bring up a WireGuard interface from a wg-quick(8) file and run it in the foreground.",
                "IFNAME alone means /etc/wireguard/IFNAME.conf. Stops on Ctrl-C, SIGTERM or `gridmesh wg-quick down`.",
                "Needs root (or CAP_NET_ADMIN) for the TUN device and its addresses and routes."})
public final class WgQuickUpCommand implements Callable<Integer> {
    private static final Logger log = LoggerFactory.getLogger(WgQuickUpCommand.class);
    /** Local API operation (served by {@code up}): stop the interface. Answers {@code {"stopping":true}}. */
    public static final String OP_DOWN = "down";

    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "FILE.conf|IFNAME", description = "wg-quick file, or interface name.")
    String target;

    @Option(names = "--foreground", description = "Run in the foreground (the default and only mode; "
            + "use a systemd unit to run it in the background).")
    boolean foreground = true;

    @Option(names = "--socket-dir", hidden = true, defaultValue = "/run/gridmesh",
            description = "Directory of the local API socket (tests).")
    Path socketDir;

    @Option(names = "--hook-timeout", hidden = true, defaultValue = "120s", converter = DurationConverter.class,
            description = "Longest a PreUp/PostUp/PreDown/PostDown command may run.")
    Duration hookTimeout;

    @Mixin
    TimerOptions timerOptions = new TimerOptions();

    private final DataPlaneOptions dataPlaneOptions;
    private final Foreground foregroundWait = new Foreground();

    /** Production: real TUN, real {@code ip}. */
    public WgQuickUpCommand() {
        this(DataPlaneOptions.system());
    }

    /** With other OS backends (tests: a fake TUN, no {@code ip}). */
    public WgQuickUpCommand(DataPlaneOptions dataPlaneOptions) {
        this.dataPlaneOptions = Objects.requireNonNull(dataPlaneOptions, "dataPlaneOptions");
    }

    @Override
    public Integer call() throws CliException, ConfigException {
        Path file = InterfaceArgs.configFile(target);
        WgQuickConfig config = new WgQuickParser().parse(file); // its message is already FILE:LINE: KEY: reason
        String name = config.interfaceName();
        WgTimers timers;
        try {
            timers = timerOptions.timers();
        } catch (IllegalArgumentException e) {
            throw new CliException("wg-quick up " + name, "timer options: " + e.getMessage(), e);
        }
        if (timerOptions.anySet()) {
            log.warn("{}: test-only protocol timers in use: {}", name, timers);
        }
        DataPlaneConfig dpc;
        try {
            dpc = new DataPlaneConfig(name, config.privateKey(), config.addresses(), config.listenPort(),
                    config.mtu(), config.peers(), timers);
        } catch (IllegalArgumentException e) {
            throw new CliException(file.toString(), e.getMessage(), e);
        }

        Path socket = SocketPaths.socket(socketDir, name);
        AtomicReference<DataPlane> running = new AtomicReference<>();
        Map<String, LocalApiHandler> handlers = new HashMap<>();
        AtomicBoolean stopping = new AtomicBoolean();
        handlers.put(LocalApiProtocol.OP_SHOW, params -> {
            DataPlane dp = running.get();
            if (dp == null) {
                throw new LocalApiException(name + (stopping.get() ? " is stopping" : " is still starting"));
            }
            return DataPlaneLocalApi.show(dp.status());
        });
        handlers.put(OP_DOWN, params -> {
            foregroundWait.stop("gridmesh wg-quick down");
            return Map.of("stopping", true);
        });

        Foreground.Signals signals = foregroundWait.trapSignals();
        Hooks hooks = new Hooks(name, hookTimeout);
        LocalApiServer api = null;
        DataPlane dp = null;
        boolean up = false;
        try {
            try {
                api = LocalApiServer.start(socket, handlers);
            } catch (LocalApiException e) {
                throw new CliException("wg-quick up " + name, withPrivilegeHint(e.getMessage()), e);
            }
            hooks.runOrFail("PreUp", config.hooks().preUp());
            try {
                dp = DataPlane.start(dpc, dataPlaneOptions);
            } catch (DataPlaneException e) {
                throw new CliException("wg-quick up " + name, withPrivilegeHint(e.getMessage()), e);
            }
            hooks.runOrFail("PostUp", config.hooks().postUp()); // on failure: interface removed, no down hooks
            up = true;
            running.set(dp);
            PrintWriter out = spec.commandLine().getOut();
            out.print(ShowText.formatUp(DataPlaneLocalApi.show(dp.status()), file, socket));
            out.flush();
            log.info("{}: running in the foreground; stop with Ctrl-C, SIGTERM or: gridmesh wg-quick down {}", name,
                    name);
            String why = foregroundWait.await();
            log.info("{}: stopping ({})", name, why);
            return 0;
        } finally {
            // interface first, socket last: `wg-quick down` returns when the socket is gone, so the interface is too
            stopping.set(true);
            running.set(null);
            if (up) {
                hooks.runAll("PreDown", config.hooks().preDown());
            }
            if (dp != null) {
                dp.close();
            }
            if (up) {
                hooks.runAll("PostDown", config.hooks().postDown());
            }
            if (api != null) {
                api.close();
            }
            signals.restore();
        }
    }

    /** Adds what to do when the failure is a missing privilege (not root, no CAP_NET_ADMIN). */
    static String withPrivilegeHint(String message) {
        String m = String.valueOf(message);
        String lower = m.toLowerCase(java.util.Locale.ROOT);
        if (lower.contains("permission denied") || lower.contains("operation not permitted")
                || lower.contains("eperm") || lower.contains("eacces")) {
            return m + " (wg-quick up needs root or CAP_NET_ADMIN)";
        }
        return m;
    }
}
