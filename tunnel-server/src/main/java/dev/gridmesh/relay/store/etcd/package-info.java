/** {@link dev.gridmesh.relay.store.Store} in etcd (jetcd client), so that several relays share one registry. */
package dev.gridmesh.relay.store.etcd;
