/** Fakes shared by every module's tests: a virtual clock here, an in-memory NAT network in {@code natlab}. */
package dev.gridmesh.testsupport;
