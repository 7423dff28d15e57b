/** {@code gridmesh relay}: runs the relay server, and its admin commands that talk to it over the state dir's admin socket. */
package dev.gridmesh.cli.relay;
