/** The installable distribution: scripts/package.sh's jlink runtime and .deb, unpacked and run. */
package dev.gridmesh.integration.packaging;
