/** A strict Prometheus text-format parser for tests that scrape /metrics. */
package dev.gridmesh.testsupport.prom;
