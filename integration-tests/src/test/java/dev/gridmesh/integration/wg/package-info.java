/** WireGuard interop in network namespaces: gridmesh against wireguard-go and against itself (tag {@code netns}). */
package dev.gridmesh.integration.wg;
