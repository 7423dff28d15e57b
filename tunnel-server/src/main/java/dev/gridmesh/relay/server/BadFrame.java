package dev.gridmesh.relay.server;

import dev.gridmesh.protocol.relay.RelayDecodeException;

/** Emitted once by {@link RelayFrameDecoder} when the byte stream stops making sense; everything after is discarded. */
record BadFrame(RelayDecodeException error) {
}
