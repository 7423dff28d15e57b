/**
 * TUN offloads without I/O: splitting the kernel's TCP super-packets (virtio_net_hdr GSO) into MTU-sized IP packets
 * and coalescing decrypted TCP segments of one flow back into one GSO write, like wireguard-go's tcpTSO / tcpGRO.
 */
package dev.gridmesh.agent.tun.offload;
