package dev.gridmesh.relay.store;

import dev.gridmesh.crypto.NodePublicKey;
import dev.gridmesh.protocol.net.IpPrefix;
import java.net.InetSocketAddress;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * The relay's durable state. Implementations must make {@link #register} atomic (token use, name and overlay IP
 * allocation in one transaction), so that two relays sharing a store (etcd, later) cannot hand out the same
 * name or address; {@link RegistrationRules} holds the decisions so that implementations only supply storage.
 *
 * <p>Calls block on I/O: the relay calls them off its event loops. Implementations are thread-safe.
 */
public interface Store extends AutoCloseable {
    /**
     * Admits or re-authenticates a node. A key that is already registered is admitted as it is (its name and IP
     * kept; the token, if any, is not consumed). An unknown key needs a valid token ({@code tokenHash} non-null):
     * unknown, expired or used-up tokens are refused and nothing is written.
     *
     * @param tokenHash SHA-256 of the presented token, or null when none was presented
     */
    Registration register(NodePublicKey key, String hostname, byte[] tokenHash, IpPrefix overlayRange, Instant now)
            throws StoreException;

    Optional<NodeRecord> node(NodePublicKey key) throws StoreException;

    /** All nodes, ordered by name. */
    List<NodeRecord> nodes() throws StoreException;

    /** Removes the node called {@code name}; its IP may be given to a later node. Empty when there is none. */
    Optional<NodeRecord> removeNode(String name) throws StoreException;

    /** Records when the node was last seen and the endpoints it reported. No-op for an unknown key. */
    void updateSeen(NodePublicKey key, Instant lastSeen, List<InetSocketAddress> endpoints) throws StoreException;

    void createToken(TokenRecord token) throws StoreException;

    /** All tokens, oldest first. */
    List<TokenRecord> tokens() throws StoreException;

    /** Stores (or replaces) an admin credential: the SHA-256 of a secret, for remote admin (later issues). */
    void putAdminCredential(String name, byte[] secretHash, Instant now) throws StoreException;

    Optional<byte[]> adminCredential(String name) throws StoreException;

    @Override
    void close() throws StoreException;
}
