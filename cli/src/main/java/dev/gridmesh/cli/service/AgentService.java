package dev.gridmesh.cli.service;

import dev.gridmesh.agent.mesh.AgentStatus;
import dev.gridmesh.agent.mesh.MeshAgent;
import dev.gridmesh.agent.metrics.AgentMetrics;
import dev.gridmesh.cli.CliException;
import java.util.function.Supplier;

/** {@link DaemonService} for {@code gridmesh agent}: agent metrics and its systemd status line. */
public final class AgentService {
    private AgentService() {
    }

    public static DaemonService start(MeshAgent agent, String metricsListen) throws CliException {
        return DaemonService.start(metricsListen, r -> AgentMetrics.register(r, () -> agent));
    }

    /** {@code STATUS=} text: {@code node NAME 100.64.x.y, relay HOST:PORT CONNECTED, 3 peers (2 online)}. */
    public static Supplier<String> statusLine(MeshAgent agent) {
        return () -> {
            AgentStatus s = agent.status();
            AgentStatus.Self self = s.self();
            long online = s.peers().stream().filter(AgentStatus.Peer::online).count();
            return "node " + self.name() + " " + self.overlayIp() + ", relay " + self.relay() + " "
                    + self.connection() + ", " + s.peers().size() + " peers (" + online + " online)";
        };
    }
}
