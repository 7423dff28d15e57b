/** NAT classification from STUN Binding results (mapping behaviour, UDP reachability), sans-I/O, for netcheck and path discovery. */
package dev.gridmesh.nat.classify;
