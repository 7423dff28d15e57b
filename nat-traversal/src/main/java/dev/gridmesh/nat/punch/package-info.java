/** Hole punching: a sans-I/O scheduler that probes a peer's candidate endpoints with disco pings (simultaneous open, port prediction) within a packet budget. */
package dev.gridmesh.nat.punch;
