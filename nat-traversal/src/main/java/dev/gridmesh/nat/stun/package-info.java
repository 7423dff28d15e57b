/** STUN (RFC 8489, with RFC 5780's address attributes): wire codec, a sans-I/O Binding server and client, and the server's Netty UDP binding. */
package dev.gridmesh.nat.stun;
