/** An in-memory UDP internet with RFC 4787 NAT boxes, on a virtual clock: fast, deterministic NAT traversal tests without root. */
package dev.gridmesh.testsupport.natlab;
