/** Key commands compatible with wg(8): {@code keygen}, {@code pubkey}, {@code genpsk}. */
package dev.gridmesh.cli.keys;
