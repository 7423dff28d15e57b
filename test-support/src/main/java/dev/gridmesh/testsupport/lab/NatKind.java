package dev.gridmesh.testsupport.lab;

/**
 * How a lab router treats traffic from its LAN side to its WAN side. Every NAT kind also installs the home-router
 * firewall: unsolicited inbound packets are dropped both when forwarded (WAN to LAN) and when addressed to the router
 * itself (WAN to router, INPUT chain), as OpenWrt does (see LAB-NOTES: without the INPUT drop, Linux conntrack gives
 * the host's own flow a different port after a peer's early probe).
 */
public enum NatKind {
    /** Plain IP forwarding, no translation, no firewall. */
    ROUTED,
    /** Endpoint-independent mapping ("easy" home router): {@code MASQUERADE} + home-router firewall. */
    ENDPOINT_INDEPENDENT,
    /** Endpoint-dependent mapping ("symmetric"): {@code MASQUERADE --random-fully} + home-router firewall. */
    ENDPOINT_DEPENDENT,
    /** Like {@link #ENDPOINT_INDEPENDENT} but every forwarded UDP packet is dropped (TCP still passes). */
    UDP_BLOCKED
}
