/** wg-quick(8) configuration files: an immutable {@link dev.gridmesh.agent.wgquick.WgQuickConfig} and its parser. */
package dev.gridmesh.agent.wgquick;
