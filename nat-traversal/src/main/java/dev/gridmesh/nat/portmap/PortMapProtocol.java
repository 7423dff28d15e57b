package dev.gridmesh.nat.portmap;

/** The port mapping protocols a gateway may offer, in the order {@link PortMapper} tries them. */
public enum PortMapProtocol {
    /** Port Control Protocol, RFC 6887 (UDP 5351, version 2). */
    PCP,
    /** NAT Port Mapping Protocol, RFC 6886 (UDP 5351, version 0). */
    NAT_PMP,
    /** UPnP Internet Gateway Device, WANIPConnection / WANPPPConnection v1 or v2 (SSDP + SOAP over HTTP). */
    UPNP_IGD
}
