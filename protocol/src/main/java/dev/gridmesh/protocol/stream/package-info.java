/**
 * Tunnel streams multiplexed over one relay connection: a sans-I/O state machine with per-stream credit flow
 * control, exact half-close, reset, and round-robin scheduling of stream data (docs/tunnels.md).
 */
package dev.gridmesh.protocol.stream;
