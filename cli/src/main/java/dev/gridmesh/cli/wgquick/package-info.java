/**
 * {@code gridmesh wg-quick up|down|show}: run a WireGuard interface from a wg-quick file in the foreground, and
 * inspect it through its local API socket only.
 */
package dev.gridmesh.cli.wgquick;
