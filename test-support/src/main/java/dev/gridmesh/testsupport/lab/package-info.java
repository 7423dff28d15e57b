/**
 * A network-namespace lab for layer-5 tests: namespaces, veth links, NAT routers and real processes, torn down even
 * on failure (root only; tests skip without root unless {@code CI=true}).
 */
package dev.gridmesh.testsupport.lab;
