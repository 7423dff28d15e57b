/** The agent's control connection to its relay: state dir, TLS with pinning, HTTP upgrade, frames, registration, peer maps, reconnects. */
package dev.gridmesh.agent.control;
