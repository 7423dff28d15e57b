package dev.gridmesh.cli.service;

import dev.gridmesh.cli.CliException;
import dev.gridmesh.relay.metrics.RelayPrometheus;
import dev.gridmesh.relay.server.RelayCounter;
import dev.gridmesh.relay.server.RelayServer;
import java.util.function.Supplier;

/** {@link DaemonService} for {@code gridmesh relay}: relay metrics and its systemd status line. */
public final class RelayService {
    /** Loopback by default: metrics are not for the Internet the relay faces. */
    public static final String DEFAULT_METRICS_LISTEN = "127.0.0.1:9465";

    private RelayService() {
    }

    /** {@code explicit}: the address was given (flag or config file); a busy default only logs a warning. */
    public static DaemonService start(RelayServer relay, String metricsListen, boolean explicit) throws CliException {
        return DaemonService.start(metricsListen, explicit, r -> RelayPrometheus.register(r, relay));
    }

    /** {@code STATUS=} text: {@code 12 nodes online, 34567 packets relayed}. */
    public static Supplier<String> statusLine(RelayServer relay) {
        return () -> relay.hub().onlineCount() + " nodes online, " + relay.metrics().get(RelayCounter.PACKETS_RELAYED)
                + " packets relayed";
    }
}
