/** The relayed data path: WireGuard datagrams to and from peers carried in PACKET frames on the relay connection. */
package dev.gridmesh.agent.relay;
