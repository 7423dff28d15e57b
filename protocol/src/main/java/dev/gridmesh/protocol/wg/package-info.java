/** The WireGuard device core: peers, allowed-IPs routing, handshakes, sessions and timers, sans-I/O. */
package dev.gridmesh.protocol.wg;
