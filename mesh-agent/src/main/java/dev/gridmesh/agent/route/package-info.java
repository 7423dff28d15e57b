/** Configures the tunnel interface's addresses, MTU, link state and routes by running iproute2's {@code ip}. */
package dev.gridmesh.agent.route;
