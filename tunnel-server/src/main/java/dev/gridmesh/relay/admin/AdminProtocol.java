package dev.gridmesh.relay.admin;

import java.util.List;

/**
 * The admin socket's operations. Requests and replies are single-line JSON objects; every reply has
 * {@code "ok"} and, when false, {@code "error"}.
 *
 * <pre>
 * {"op":"token.create","reusable":false,"expiresSeconds":86400,"tags":["gpu"]}
 *     -> {"ok":true,"token":"gmt_...","record":{"id":"1a2b3c4d","reusable":false,"expires":"...","tags":["gpu"],"created":"...","uses":0}}
 * {"op":"tokens"}               -> {"ok":true,"tokens":[record...]}      (never the token text)
 * {"op":"nodes"}                -> {"ok":true,"nodes":[{"name","nodeKey","overlayIp","online","tags","created","lastSeen","endpoints"}...]}
 * {"op":"node.remove","name":N} -> {"ok":true,"removed":{node}} | {"ok":false,"error":"node N: no such node"}
 * {"op":"stats"}                -> {"ok":true,"online":2,"counters":{"auth_failed":1,...},
 *                                   "tunnels":{"streams_opened":3,"denied_policy":1,...,"bytes_to_node":9,"streams_open":1}}
 * </pre>
 */
public final class AdminProtocol {
    public static final String TOKEN_CREATE = "token.create";
    public static final String TOKENS = "tokens";
    public static final String NODES = "nodes";
    public static final String NODE_REMOVE = "node.remove";
    public static final String STATS = "stats";
    public static final List<String> OPS = List.of(TOKEN_CREATE, TOKENS, NODES, NODE_REMOVE, STATS);

    private AdminProtocol() {}
}
