/** WireGuard's mac1/mac2 and cookie replies (whitepaper §5.4.4, §5.4.7): DoS mitigation for handshakes. */
package dev.gridmesh.crypto.cookie;
