/** The outside of the tunnel: the one UDP socket per interface (Netty, epoll when available) and its demultiplexer. */
package dev.gridmesh.agent.outside;
