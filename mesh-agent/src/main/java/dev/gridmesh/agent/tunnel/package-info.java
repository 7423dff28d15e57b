/**
 * The agent's end of engineer tunnels: streams the relay opens are checked against the local port allow-list and
 * joined to 127.0.0.1:PORT with per-stream flow control (docs/tunnels.md).
 */
package dev.gridmesh.agent.tunnel;
