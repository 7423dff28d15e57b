/** The WireGuard data plane: TUN (inside) and UDP (outside) wired to the sans-I/O WgEngine, with its threads and timer. */
package dev.gridmesh.agent.dataplane;
