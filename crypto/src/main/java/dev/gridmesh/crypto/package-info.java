/** Keys, the WireGuard Noise handshake, cookies and the replay window: pure code, no sockets, no threads. */
package dev.gridmesh.crypto;
