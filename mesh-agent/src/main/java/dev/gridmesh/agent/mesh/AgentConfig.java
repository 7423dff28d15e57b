package dev.gridmesh.agent.mesh;

import dev.gridmesh.agent.control.ControlConfig;
import dev.gridmesh.agent.dataplane.DataPlaneConfig;
import dev.gridmesh.agent.dataplane.DataPlaneOptions;
import java.nio.file.Path;
import java.util.Objects;

/**
 * What {@code gridmesh agent} runs with; fixed for the life of the process.
 *
 * @param stateDir     node key, lock and local API socket (see {@code StateDir})
 * @param control      relay address, trust, hostname, timeouts
 * @param joinToken    token for the first registration; ignored (may be null or "") once a node key is stored
 * @param tunName      TUN interface name (default {@code gm0})
 * @param mtu          TUN MTU, 0 = {@link DataPlaneConfig#DEFAULT_MTU}
 * @param dataPlane    OS backends; its command runner (null = leave the OS alone) configures the interface
 */
public record AgentConfig(Path stateDir, ControlConfig control, String joinToken, String tunName, int mtu,
        DataPlaneOptions dataPlane) {
    public static final String DEFAULT_TUN = "gm0";

    public AgentConfig {
        Objects.requireNonNull(stateDir, "stateDir");
        Objects.requireNonNull(control, "control");
        Objects.requireNonNull(tunName, "tunName");
        Objects.requireNonNull(dataPlane, "dataPlane");
        joinToken = joinToken == null ? "" : joinToken;
    }
}
