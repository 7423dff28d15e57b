/**
 * The agent-relay wire protocol (frames, control messages, relayed packets, the registration proof): pure codecs,
 * no I/O; the full description is in docs/relay-protocol.md.
 */
package dev.gridmesh.protocol.relay;
