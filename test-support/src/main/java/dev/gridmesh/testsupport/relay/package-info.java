/** A small blocking agent that speaks the relay protocol over real TLS sockets, for relay tests and load generators. */
package dev.gridmesh.testsupport.relay;
