/** Path discovery ("disco"): ping, pong and call-me-maybe messages between agents, sealed with their node keys, sent on the WireGuard UDP socket. */
package dev.gridmesh.nat.disco;
