/** The sliding window that rejects replayed transport counters (RFC 6479, as in wireguard-go). */
package dev.gridmesh.crypto.replay;
