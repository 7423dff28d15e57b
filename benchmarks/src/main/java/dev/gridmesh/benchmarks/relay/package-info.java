/** Load generators for the relay: many simulated idle agents, relay heap and CPU per connection. */
package dev.gridmesh.benchmarks.relay;
