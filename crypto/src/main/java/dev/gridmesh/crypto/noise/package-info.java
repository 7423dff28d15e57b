/** WireGuard's Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s handshake and its primitives (whitepaper §5.4). */
package dev.gridmesh.crypto.noise;
