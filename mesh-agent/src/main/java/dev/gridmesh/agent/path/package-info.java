/** Direct paths between agents: endpoint discovery, disco probing and per-peer relay/direct path selection. */
package dev.gridmesh.agent.path;
