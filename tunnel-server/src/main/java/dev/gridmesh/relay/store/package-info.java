/** The relay's durable state (nodes, join tokens, admin credentials) behind {@link dev.gridmesh.relay.store.Store}, with an embedded H2 implementation. */
package dev.gridmesh.relay.store;
