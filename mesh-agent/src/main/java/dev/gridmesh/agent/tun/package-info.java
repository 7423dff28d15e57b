/** The inside of the tunnel: a Linux TUN device read and written in batches through JNA, and its fakes' contract. */
package dev.gridmesh.agent.tun;
