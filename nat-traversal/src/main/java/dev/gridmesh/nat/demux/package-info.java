/** Tells apart the protocols that share the agent's one UDP socket (WireGuard, STUN, disco) by their first bytes. */
package dev.gridmesh.nat.demux;
