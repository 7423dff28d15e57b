/** Prometheus metrics of a running relay, read from its existing counters at scrape time. */
package dev.gridmesh.relay.metrics;
