/** A fake home gateway on loopback speaking PCP, NAT-PMP and UPnP-IGD (SSDP + HTTP/SOAP), for port mapping tests. */
package dev.gridmesh.testsupport.portmap;
