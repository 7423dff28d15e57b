package dev.gridmesh.nat.disco;

import dev.gridmesh.crypto.NodePublicKey;

/** The result of {@link DiscoBox#open}. */
public sealed interface DiscoDecoded {
    record Ok(NodePublicKey sender, DiscoMessage message) implements DiscoDecoded {}

    record Err(DiscoError reason) implements DiscoDecoded {}
}
