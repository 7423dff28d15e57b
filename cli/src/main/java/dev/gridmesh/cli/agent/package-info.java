/** {@code gridmesh agent} (join the mesh through a relay and run in the foreground) and {@code gridmesh status}. */
package dev.gridmesh.cli.agent;
