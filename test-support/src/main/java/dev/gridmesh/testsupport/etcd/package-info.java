/** A real etcd server (the {@code etcd} binary) on loopback with ephemeral ports, as a JUnit 5 extension for store and cluster tests. */
package dev.gridmesh.testsupport.etcd;
