/** Self-tests of the netns lab harness, run against the reference wireguard-go so they pass without gridmesh. */
package dev.gridmesh.integration.lab;
