package dev.gridmesh.protocol.wg;

/** Per-thread ChaCha20-Poly1305 state of the data path (placeholder until the session code lands). */
final class DataCipher {
}
