/** The relay's local admin API: JSON lines over a UNIX domain socket (mode 0600) in the state dir, server and client. */
package dev.gridmesh.relay.admin;
