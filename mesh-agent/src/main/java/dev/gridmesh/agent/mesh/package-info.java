/** The mesh agent: ties the relay control connection, the peer map and the WireGuard data plane together, and serves its status. */
package dev.gridmesh.agent.mesh;
