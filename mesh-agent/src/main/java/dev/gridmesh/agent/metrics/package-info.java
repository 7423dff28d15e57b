/** Prometheus metrics of a running agent, read from its existing counters at scrape time (no per-packet work). */
package dev.gridmesh.agent.metrics;
