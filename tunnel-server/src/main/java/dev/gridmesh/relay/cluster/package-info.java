/** Several relays as one mesh over a shared etcd: presence, membership watch, and the relay-to-relay packet link. */
package dev.gridmesh.relay.cluster;
