/** The relay's TLS identity: a self-signed P-256 certificate made on first start, or a CA-signed one, and its pin. */
package dev.gridmesh.relay.tls;
