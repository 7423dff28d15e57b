/**
 * The agent's local control socket: newline-delimited JSON requests and responses over a UNIX domain socket, the
 * only way the CLI talks to a running agent. Wire format and schema: docs/local-api.md.
 */
package dev.gridmesh.agent.localapi;
