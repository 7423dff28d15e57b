/** Netty edges of the pure protocol state machines (the stream mux on a framed channel), shared by agent and relay. */
package dev.gridmesh.protocol.netty;
