/** Addressing types shared by the agent and the server. */
package dev.gridmesh.protocol.net;
