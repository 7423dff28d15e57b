/**
 * Engineer tunnels on the relay: user tokens, the access policy, the stream joiner between an engineer's connection
 * and an agent's, and the session log (docs/tunnels.md).
 */
package dev.gridmesh.relay.tunnel;
