package dev.gridmesh.agent.mesh;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gridmesh.agent.control.ControlClient;
import dev.gridmesh.agent.control.ControlConfig;
import dev.gridmesh.agent.control.ControlListener;
import dev.gridmesh.agent.control.ConnectionState;
import dev.gridmesh.agent.control.PeerMapTracker;
import dev.gridmesh.protocol.relay.ControlMessage;
import io.netty.buffer.ByteBuf;
import dev.gridmesh.agent.control.RelayTrust;
import dev.gridmesh.agent.localapi.LocalApiException;
import dev.gridmesh.agent.localapi.LocalApiHandler;
import java.io.IOException;
import java.nio.file.Files;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The local API ops {@code up}, {@code down} and {@code logout} of a running agent:
 * <pre>
 *   UP ---down---> DOWN ---up [server, pin, token]---> UP (new ControlClient, same node key: same overlay IP)
 *   UP|DOWN ---logout---> LOGGED_OUT (node.key deleted; up refused: restart the agent with --token)
 * </pre>
 * Down closes the control connection (its event loop ends, so no control event runs afterwards) and removes every
 * peer from the data plane; the TUN, its address and the UDP socket stay, so the overlay IP is back on the interface
 * as soon as the next up registers. The relay keeps the node (same key = same overlay IP) and shows it offline.
 * Ops are serialized on this object.
 */
public final class MeshControlOps {
    private static final Logger log = LoggerFactory.getLogger(MeshControlOps.class);
    public static final String OP_UP = "up";
    public static final String OP_DOWN = "down";
    public static final String OP_LOGOUT = "logout";

    /** Where the agent is, from the operator's point of view. */
    public enum Mode { UP, DOWN, LOGGED_OUT }

    /** The answer of every op: the mode after it and what happened. */
    public record Result(String mode, String message) {}

    private final MeshAgent agent;
    private volatile Mode mode = Mode.UP;

    MeshControlOps(MeshAgent agent) {
        this.agent = agent;
    }

    public Mode mode() {
        return mode;
    }

    void register(Map<String, LocalApiHandler> h) {
        h.put(OP_UP, this::up);
        h.put(OP_DOWN, params -> down());
        h.put(OP_LOGOUT, params -> logout());
    }

    /** Leaves the mesh: relay connection closed, peers removed; the node key and the TUN stay. */
    public synchronized Result down() {
        if (mode != Mode.UP) {
            return new Result(mode.name(), "already " + mode.name().toLowerCase(java.util.Locale.ROOT));
        }
        ControlClient c = agent.control();
        if (c != null) {
            c.close(); // waits for its event loop to end: no control event after this
        }
        int removed = agent.removeAllPeers();
        mode = Mode.DOWN;
        log.info("down: left the mesh (relay connection closed, {} peers removed); the node key is kept", removed);
        return new Result(mode.name(), "left the mesh (" + removed + " peers removed); gridmesh up to come back");
    }

    /**
     * Rejoins: a new control connection with the same node key. Params (all optional): {@code server} HOST:PORT,
     * {@code pin} sha256:..., {@code token} (only used while the node has never registered).
     */
    public synchronized Result up(JsonNode params) throws LocalApiException {
        if (mode == Mode.LOGGED_OUT) {
            throw new LocalApiException("logged out (node key forgotten): restart the agent with --token TOKEN to join"
                    + " as a new node");
        }
        ControlConfig cfg = agent.controlConfig();
        String server = text(params, "server");
        String pin = text(params, "pin");
        String token = text(params, "token");
        if (mode == Mode.UP && server.isEmpty() && pin.isEmpty()) {
            return new Result(mode.name(), "already up (relay " + cfg.host() + ":" + cfg.port() + ")");
        }
        ControlConfig next;
        try {
            next = with(cfg, server, pin);
        } catch (IllegalArgumentException e) {
            throw new LocalApiException(e.getMessage(), e);
        }
        ControlClient fresh;
        try {
            fresh = agent.newControl(next, agent.registered() ? "" : token);
        } catch (IOException e) {
            throw new LocalApiException("relay trust: " + e.getMessage(), e);
        }
        if (mode == Mode.UP) { // switching relays while up: leave first
            ControlClient old = agent.control();
            if (old != null) {
                old.close();
            }
            agent.removeAllPeers();
        }
        agent.replaceControl(fresh, next);
        fresh.start();
        mode = Mode.UP;
        log.info("up: connecting to relay {}:{}", next.host(), next.port());
        return new Result(mode.name(), "connecting to relay " + next.host() + ":" + next.port()
                + (!token.isEmpty() && agent.registered() ? " (node key known: --token not used)" : ""));
    }

    /** Down, then deletes {@code node.key}; the agent keeps running, logged out, until it is stopped. */
    public synchronized Result logout() throws LocalApiException {
        down();
        try {
            boolean had = Files.deleteIfExists(agent.stateDir().keyFile());
            mode = Mode.LOGGED_OUT;
            log.info("logout: node key {} {}", agent.stateDir().keyFile(), had ? "deleted" : "was not there");
            return new Result(mode.name(), had ? "node key " + agent.stateDir().keyFile()
                    + " deleted; restart the agent with --token TOKEN to join as a new node"
                    : "no node key in " + agent.stateDir().path() + " (already logged out)");
        } catch (IOException e) {
            throw new LocalApiException(agent.stateDir().keyFile() + ": " + e.getMessage(), e);
        }
    }

    /**
     * The listener of a control client started by {@code up}: a refusal for good (wrong pin, node removed...) before
     * its first registration leaves the agent DOWN with the reason in {@code lastError} instead of stopping it; after
     * a registration, the agent's own listener decides as for the first client.
     */
    ControlListener untilRegistered(ControlListener agentListener) {
        return new ControlListener() {
            private volatile boolean registered;

            @Override
            public void onState(ConnectionState state, String detail) {
                agentListener.onState(state, detail);
            }

            @Override
            public boolean onRegistered(ControlMessage.RegisterOk ok) {
                boolean go = agentListener.onRegistered(ok);
                registered = go;
                return go;
            }

            @Override
            public void onPeers(PeerMapTracker.Change change) {
                agentListener.onPeers(change);
            }

            @Override
            public void onPacket(ByteBuf payload) {
                agentListener.onPacket(payload);
            }

            @Override
            public void onFatal(String reason) {
                if (registered) {
                    agentListener.onFatal(reason);
                    return;
                }
                log.warn("up: {}: the agent stays down (gridmesh up to retry)", reason);
                synchronized (MeshControlOps.this) {
                    if (mode == Mode.UP) {
                        mode = Mode.DOWN;
                    }
                }
                ControlClient c = agent.control();
                if (c != null) {
                    Thread.ofVirtual().name("control-close").start(c::close); // not on its own event loop
                }
            }
        };
    }

    static ControlConfig with(ControlConfig c, String server, String pin) {
        String host = c.host();
        int port = c.port();
        if (!server.isEmpty()) {
            int colon = server.lastIndexOf(':');
            if (colon <= 0 || colon == server.length() - 1) {
                throw new IllegalArgumentException("server: " + server + " (expected HOST:PORT)");
            }
            host = server.substring(0, colon);
            if (host.startsWith("[") && host.endsWith("]")) {
                host = host.substring(1, host.length() - 1);
            }
            try {
                port = Integer.parseInt(server.substring(colon + 1));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("server: " + server + " (expected HOST:PORT)");
            }
        }
        RelayTrust trust = pin.isEmpty() ? c.trust() : new RelayTrust.Pinned(pin);
        return new ControlConfig(host, port, trust, c.hostname(), c.pingInterval(), c.deadAfter(), c.connectTimeout(),
                c.backoffInitial(), c.backoffMax(), c.writeLowWater(), c.writeHighWater(), c.allowEpoll(),
                server.isEmpty() ? c.alternates() : java.util.List.of()); // a relay named by up replaces the list
    }

    private static String text(JsonNode params, String field) {
        JsonNode n = params == null ? null : params.get(field);
        return n == null || n.isNull() ? "" : n.asText().strip();
    }
}
