/** netns scenarios of agents joining a mesh through the relay: symmetric NATs, relayed traffic, relay restarts. */
package dev.gridmesh.integration.relay;
