/**
 * Engineer commands that reach a node's TCP port through the relay without an agent: login, tunnel (the OpenSSH
 * ProxyCommand), ssh, ssh-config, forward; a lean blocking client (JDK TLS, no Netty) for fast start (docs/tunnels.md).
 */
package dev.gridmesh.cli.tunnel;
