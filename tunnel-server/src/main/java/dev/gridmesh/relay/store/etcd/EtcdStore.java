package dev.gridmesh.relay.store.etcd;

import dev.gridmesh.crypto.NodePublicKey;
import dev.gridmesh.protocol.net.IpPrefix;
import dev.gridmesh.protocol.relay.ErrorCode;
import dev.gridmesh.relay.store.NodeRecord;
import dev.gridmesh.relay.store.Registration;
import dev.gridmesh.relay.store.RegistrationRules;
import dev.gridmesh.relay.store.Store;
import dev.gridmesh.relay.store.StoreException;
import dev.gridmesh.relay.store.TokenRecord;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KV;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.kv.TxnResponse;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.DeleteOption;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.PutOption;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * {@link Store} in etcd, shared by every relay pointed at the same cluster and prefix (key layout: {@link EtcdKeys}).
 *
 * <p>Every write that depends on what it read is one etcd transaction guarded by the revisions it read
 * (optimistic concurrency): a registration reads the token, the node and the taken names and addresses in one
 * snapshot, then commits "token unchanged, node still absent, name and address still free" together with the token's
 * new use count, the node and both claims. When another relay won the race the compare fails, nothing is written, and
 * the registration is decided again on fresh data. Two relays therefore never hand out the same name or address,
 * and a one-off token never admits two nodes.
 *
 * <p>Thread-safe; calls block for at most the configured timeout each.
 */
public final class EtcdStore implements Store {
    /** A registration that keeps losing races gives up after this many tries (a relay's store thread must not spin). */
    static final int MAX_ATTEMPTS = 32;
    private static final HexFormat HEX = HexFormat.of();
    private static final GetOption PREFIX = GetOption.builder().isPrefix(true).build();
    private static final GetOption PREFIX_KEYS = GetOption.builder().isPrefix(true).withKeysOnly(true).build();

    private final Client client;
    private final KV kv;
    private final EtcdKeys keys;
    private final Duration timeout;
    private final String where;

    private EtcdStore(Client client, EtcdKeys keys, Duration timeout, String where) {
        this.client = client;
        this.kv = client.getKVClient();
        this.keys = keys;
        this.timeout = timeout;
        this.where = where;
    }

    /**
     * Connects to {@code endpoints} ({@code host:port} each) and checks that etcd answers within {@code timeout}.
     *
     * @param prefix every key's prefix, {@code /gridmesh/} by default: relays sharing a registry use the same one
     */
    public static EtcdStore open(List<String> endpoints, String prefix, Duration timeout) throws StoreException {
        Objects.requireNonNull(endpoints, "endpoints");
        if (endpoints.isEmpty()) {
            throw new IllegalArgumentException("etcd endpoints: none");
        }
        EtcdKeys keys = new EtcdKeys(prefix);
        String where = "etcd://" + String.join(",", endpoints) + prefix;
        Client c = Client.builder()
                .endpoints(endpoints.stream().map(e -> "http://" + e).toArray(String[]::new))
                .connectTimeout(timeout)
                .retryMaxDuration(timeout)
                .build();
        EtcdStore s = new EtcdStore(c, keys, timeout, where);
        try {
            s.await(s.kv.get(keys.relays(), GetOption.builder().isPrefix(true).withCountOnly(true).build()), "connect");
        } catch (StoreException e) {
            c.close();
            throw new StoreException(where + ": etcd does not answer: " + e.getMessage(), e);
        }
        return s;
    }

    /** The jetcd client (the cluster layer uses it for leases and watches). */
    public Client client() {
        return client;
    }

    public EtcdKeys keys() {
        return keys;
    }

    public Duration timeout() {
        return timeout;
    }

    @Override
    public String toString() {
        return where;
    }

    @Override
    public Registration register(NodePublicKey key, String hostname, byte[] tokenHash, IpPrefix range, Instant now)
            throws StoreException {
        ByteSequence nodeKey = keys.node(key);
        for (int attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
            // one snapshot: the node, the token, and the names and addresses taken
            List<Op> reads = new ArrayList<>(List.of(Op.get(nodeKey, GetOption.DEFAULT)));
            if (tokenHash != null) {
                reads.add(Op.get(keys.token(tokenHash), GetOption.DEFAULT));
                reads.add(Op.get(keys.names(), PREFIX_KEYS));
                reads.add(Op.get(keys.ips(), PREFIX_KEYS));
            }
            TxnResponse snap = await(kv.txn().Then(reads.toArray(Op[]::new)).commit(), "register " + key.shortString());
            List<GetResponse> got = snap.getGetResponses();
            List<KeyValue> known = got.get(0).getKvs();
            if (!known.isEmpty()) {
                KeyValue kvNode = known.getFirst();
                NodeRecord n = decodeNode(kvNode);
                n = n.withSeen(now, n.endpoints());
                TxnResponse r = await(kv.txn()
                        .If(new Cmp(nodeKey, Cmp.Op.EQUAL, CmpTarget.modRevision(kvNode.getModRevision())))
                        .Then(Op.put(nodeKey, EtcdRecords.node(n), PutOption.DEFAULT))
                        .commit(), "register " + key.shortString());
                if (r.isSucceeded()) {
                    return new Registration.Admitted(n, false);
                }
                continue; // changed or removed meanwhile: decide again
            }
            if (tokenHash == null) {
                return new Registration.Refused(ErrorCode.UNKNOWN_NODE,
                        "node key " + key.shortString() + " is not registered and no join token was given");
            }
            List<KeyValue> tokenKvs = got.get(1).getKvs();
            TokenRecord token = tokenKvs.isEmpty() ? null : decodeToken(tokenHash, tokenKvs.getFirst());
            Optional<Registration.Refused> refused = RegistrationRules.checkToken(token, now);
            if (refused.isPresent()) {
                return refused.get();
            }
            Set<String> names = new HashSet<>();
            for (KeyValue k : got.get(2).getKvs()) {
                names.add(EtcdKeys.suffix(k.getKey(), keys.names()));
            }
            Set<InetAddress> ips = new HashSet<>();
            for (KeyValue k : got.get(3).getKvs()) {
                ips.add(address(EtcdKeys.suffix(k.getKey(), keys.ips())));
            }
            Optional<InetAddress> ip = RegistrationRules.allocate(range, ips);
            if (ip.isEmpty()) {
                return new Registration.Refused(ErrorCode.ADDRESS_EXHAUSTED, "no free address left in " + range);
            }
            String name = RegistrationRules.uniqueName(RegistrationRules.sanitize(hostname), names);
            NodeRecord n = new NodeRecord(key, name, ip.get(), token.tags(), now, now, List.of());
            ByteSequence keyHex = EtcdKeys.bs(EtcdKeys.hex(key));
            ByteSequence tokenKey = keys.token(tokenHash);
            TxnResponse r = await(kv.txn()
                    .If(new Cmp(nodeKey, Cmp.Op.EQUAL, CmpTarget.version(0)),
                            new Cmp(tokenKey, Cmp.Op.EQUAL, CmpTarget.modRevision(tokenKvs.getFirst().getModRevision())),
                            new Cmp(keys.name(name), Cmp.Op.EQUAL, CmpTarget.version(0)),
                            new Cmp(keys.ip(ip.get()), Cmp.Op.EQUAL, CmpTarget.version(0)))
                    .Then(Op.put(tokenKey, EtcdRecords.token(EtcdRecords.withUse(token)), PutOption.DEFAULT),
                            Op.put(nodeKey, EtcdRecords.node(n), PutOption.DEFAULT),
                            Op.put(keys.name(name), keyHex, PutOption.DEFAULT),
                            Op.put(keys.ip(ip.get()), keyHex, PutOption.DEFAULT))
                    .commit(), "register " + key.shortString());
            if (r.isSucceeded()) {
                return new Registration.Admitted(n, true);
            }
            // another relay took the name, the address or a use of the token first: decide again on fresh data
        }
        throw new StoreException("register " + key.shortString() + ": gave up after " + MAX_ATTEMPTS
                + " conflicting concurrent registrations (" + where + ")");
    }

    @Override
    public Optional<NodeRecord> node(NodePublicKey key) throws StoreException {
        List<KeyValue> kvs = await(kv.get(keys.node(key)), "read node").getKvs();
        return kvs.isEmpty() ? Optional.empty() : Optional.of(decodeNode(kvs.getFirst()));
    }

    @Override
    public List<NodeRecord> nodes() throws StoreException {
        List<NodeRecord> out = new ArrayList<>();
        for (KeyValue k : await(kv.get(keys.nodes(), PREFIX), "read nodes").getKvs()) {
            out.add(decodeNode(k));
        }
        out.sort(Comparator.comparing(NodeRecord::name));
        return out;
    }

    @Override
    public Optional<NodeRecord> removeNode(String name) throws StoreException {
        for (int attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
            List<KeyValue> claim = await(kv.get(keys.name(name)), "remove node " + name).getKvs();
            if (claim.isEmpty()) {
                return Optional.empty();
            }
            NodePublicKey key;
            try {
                key = EtcdKeys.keyFromHex(claim.getFirst().getValue().toString(java.nio.charset.StandardCharsets.UTF_8));
            } catch (IllegalArgumentException e) {
                throw new StoreException(where + ": name claim " + name + " holds no node key", e);
            }
            ByteSequence nodeKey = keys.node(key);
            List<KeyValue> nodeKvs = await(kv.get(nodeKey), "remove node " + name).getKvs();
            if (nodeKvs.isEmpty()) {
                // a claim without its node cannot be written by this store; drop it if it is still the same
                await(kv.txn().If(new Cmp(keys.name(name), Cmp.Op.EQUAL, CmpTarget.modRevision(claim.getFirst().getModRevision())))
                        .Then(Op.delete(keys.name(name), DeleteOption.DEFAULT)).commit(), "remove node " + name);
                return Optional.empty();
            }
            NodeRecord n = decodeNode(nodeKvs.getFirst());
            TxnResponse r = await(kv.txn()
                    .If(new Cmp(nodeKey, Cmp.Op.EQUAL, CmpTarget.modRevision(nodeKvs.getFirst().getModRevision())))
                    .Then(Op.delete(nodeKey, DeleteOption.DEFAULT),
                            Op.delete(keys.name(n.name()), DeleteOption.DEFAULT),
                            Op.delete(keys.ip(n.overlayIp()), DeleteOption.DEFAULT))
                    .commit(), "remove node " + name);
            if (r.isSucceeded()) {
                return Optional.of(n);
            }
        }
        throw new StoreException("remove node " + name + ": gave up after " + MAX_ATTEMPTS + " concurrent changes");
    }

    @Override
    public void updateSeen(NodePublicKey key, Instant lastSeen, List<InetSocketAddress> endpoints) throws StoreException {
        ByteSequence nodeKey = keys.node(key);
        for (int attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
            List<KeyValue> kvs = await(kv.get(nodeKey), "update node " + key.shortString()).getKvs();
            if (kvs.isEmpty()) {
                return;
            }
            NodeRecord n = decodeNode(kvs.getFirst()).withSeen(lastSeen, endpoints);
            // guarded so that a node removed meanwhile is not written back
            TxnResponse r = await(kv.txn()
                    .If(new Cmp(nodeKey, Cmp.Op.EQUAL, CmpTarget.modRevision(kvs.getFirst().getModRevision())))
                    .Then(Op.put(nodeKey, EtcdRecords.node(n), PutOption.DEFAULT))
                    .commit(), "update node " + key.shortString());
            if (r.isSucceeded()) {
                return;
            }
        }
        throw new StoreException("update node " + key.shortString() + ": gave up after " + MAX_ATTEMPTS + " concurrent changes");
    }

    @Override
    public void createToken(TokenRecord t) throws StoreException {
        ByteSequence k = keys.token(t.hash());
        TxnResponse r = await(kv.txn()
                .If(new Cmp(k, Cmp.Op.EQUAL, CmpTarget.version(0)))
                .Then(Op.put(k, EtcdRecords.token(t), PutOption.DEFAULT))
                .commit(), "create token");
        if (!r.isSucceeded()) {
            throw new StoreException("create token " + t.id() + ": a token with this hash exists");
        }
    }

    @Override
    public List<TokenRecord> tokens() throws StoreException {
        List<TokenRecord> out = new ArrayList<>();
        for (KeyValue k : await(kv.get(keys.tokens(), PREFIX), "read tokens").getKvs()) {
            String hex = EtcdKeys.suffix(k.getKey(), keys.tokens());
            try {
                out.add(decodeToken(HEX.parseHex(hex), k));
            } catch (IllegalArgumentException e) {
                throw new StoreException(where + ": bad token key " + hex, e);
            }
        }
        out.sort(Comparator.comparing(TokenRecord::created));
        return out;
    }

    @Override
    public void putAdminCredential(String name, byte[] secretHash, Instant now) throws StoreException {
        await(kv.put(keys.admin(name), EtcdRecords.admin(secretHash, now)), "put admin credential");
    }

    @Override
    public Optional<byte[]> adminCredential(String name) throws StoreException {
        List<KeyValue> kvs = await(kv.get(keys.admin(name)), "read admin credential").getKvs();
        if (kvs.isEmpty()) {
            return Optional.empty();
        }
        try {
            return Optional.of(EtcdRecords.adminHash(kvs.getFirst().getValue()));
        } catch (IOException e) {
            throw new StoreException(where + ": admin credential " + name + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        client.close();
    }

    /** A node record as stored under {@code nodes/} (for watchers of the prefix). */
    public static NodeRecord decodeNode(ByteSequence value) throws IOException {
        return EtcdRecords.node(value);
    }

    private NodeRecord decodeNode(KeyValue k) throws StoreException {
        try {
            return EtcdRecords.node(k.getValue());
        } catch (IOException e) {
            throw new StoreException(where + ": " + k.getKey() + ": " + e.getMessage(), e);
        }
    }

    private TokenRecord decodeToken(byte[] hash, KeyValue k) throws StoreException {
        try {
            return EtcdRecords.token(hash, k.getValue());
        } catch (IOException e) {
            throw new StoreException(where + ": " + k.getKey() + ": " + e.getMessage(), e);
        }
    }

    private InetAddress address(String text) throws StoreException {
        try {
            return EtcdRecords.address(text);
        } catch (IOException e) {
            throw new StoreException(where + ": address claim " + text + ": " + e.getMessage(), e);
        }
    }

    /** Waits for an etcd call within the timeout; every failure becomes a StoreException naming what was done. */
    public <T> T await(CompletableFuture<T> f, String what) throws StoreException {
        try {
            return f.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            f.cancel(true);
            Thread.currentThread().interrupt();
            throw new StoreException(what + ": interrupted");
        } catch (TimeoutException e) {
            f.cancel(true);
            throw new StoreException(what + ": no answer from " + where + " within " + timeout.toMillis() + " ms", e);
        } catch (ExecutionException e) {
            Throwable c = e.getCause() == null ? e : e.getCause();
            throw new StoreException(what + ": " + where + ": " + c.getMessage(), c);
        }
    }
}
