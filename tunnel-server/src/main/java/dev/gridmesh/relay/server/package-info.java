/** The relay server: Netty pipeline (TLS, HTTP upgrade, frames), per-connection sessions, the hub of online nodes, STUN. */
package dev.gridmesh.relay.server;
