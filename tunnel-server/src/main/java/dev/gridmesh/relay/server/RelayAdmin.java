package dev.gridmesh.relay.server;

import dev.gridmesh.relay.store.JoinTokens;
import dev.gridmesh.relay.store.NodeRecord;
import dev.gridmesh.relay.store.StoreException;
import dev.gridmesh.relay.store.TokenRecord;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.regex.Pattern;

/**
 * The operations behind {@code gridmesh relay token create | nodes | node remove}. They run on the store thread,
 * in order with registrations, so a removed node cannot slip back online. Thread-safe; calls block.
 */
public final class RelayAdmin {
    private static final Pattern TAG = Pattern.compile("[a-z0-9][a-z0-9-]{0,62}");

    /** A new token: {@code token} is the only copy of its text (the store keeps its hash). */
    public record CreatedToken(String token, TokenRecord record) {}

    private final RelayContext rc;
    private final dev.gridmesh.relay.tunnel.TunnelService tunnels;

    RelayAdmin(RelayContext rc) {
        this(rc, null);
    }

    RelayAdmin(RelayContext rc, dev.gridmesh.relay.tunnel.TunnelService tunnels) {
        this.rc = rc;
        this.tunnels = tunnels;
    }

    /**
     * Creates a join token.
     *
     * @param expiresIn null for a token that never expires
     * @throws IllegalArgumentException for a bad tag or a non-positive duration, naming the value
     */
    public CreatedToken createToken(boolean reusable, Duration expiresIn, Set<String> tags) throws StoreException {
        for (String t : tags) {
            if (!TAG.matcher(t).matches()) {
                throw new IllegalArgumentException("tag: " + t + " (expected: lower-case letters, digits, '-', up to 63)");
            }
        }
        if (expiresIn != null && (expiresIn.isNegative() || expiresIn.isZero())) {
            throw new IllegalArgumentException("expires: " + expiresIn + " (expected: a positive duration)");
        }
        String token = JoinTokens.generate(rc.random());
        Instant now = rc.clock().instant();
        TokenRecord rec = new TokenRecord(JoinTokens.hash(token), reusable, expiresIn == null ? null : now.plus(expiresIn),
                tags, now, 0);
        onStore(() -> {
            rc.store().createToken(rec);
            return null;
        });
        return new CreatedToken(token, rec);
    }

    /** Every registered node with its online state, by name. */
    public List<RelayHub.NodeView> nodes() {
        return rc.hub().snapshot();
    }

    /** Removes the node and cuts its connection at once; empty when no node has that name. */
    public Optional<NodeRecord> removeNode(String name) throws StoreException {
        return onStore(() -> {
            Optional<NodeRecord> n = rc.store().removeNode(name);
            n.ifPresent(rc.hub()::removed);
            return n;
        });
    }

    public List<TokenRecord> tokens() throws StoreException {
        return onStore(() -> rc.store().tokens());
    }

    public Map<RelayCounter, Long> counters() {
        return rc.metrics().snapshot();
    }

    /** The engineer-tunnel counters by name (streams, refusals by reason, bytes each way, open now); empty without. */
    public Map<String, Long> tunnelCounters() {
        if (tunnels == null) {
            return Map.of();
        }
        Map<String, Long> m = new java.util.LinkedHashMap<>(tunnels.counters().snapshot());
        m.put("streams_open", (long) tunnels.streamsOpen());
        return m;
    }

    public int online() {
        return rc.hub().onlineCount();
    }

    private interface StoreCall<T> {
        T call() throws StoreException;
    }

    private <T> T onStore(StoreCall<T> c) throws StoreException {
        Callable<T> task = c::call;
        Future<T> f = rc.storeExecutor().submit(task);
        try {
            return f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StoreException("interrupted");
        } catch (ExecutionException e) {
            if (e.getCause() instanceof StoreException se) {
                throw se;
            }
            throw new StoreException(String.valueOf(e.getCause()), e.getCause());
        }
    }
}
