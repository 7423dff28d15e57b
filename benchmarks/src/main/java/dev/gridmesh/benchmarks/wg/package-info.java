/** JMH benchmarks of the WireGuard data path: seal and open of one transport packet, and the raw AEAD floor. */
package dev.gridmesh.benchmarks.wg;
