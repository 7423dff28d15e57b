package dev.gridmesh.agent.control;

/** Where the control connection to the relay is. */
public enum ConnectionState {
    /** Dialing, TLS, HTTP upgrade or registration in progress. */
    CONNECTING,
    /** Registered; peer map and relayed packets flowing. */
    CONNECTED,
    /** Lost; waiting for the next attempt (backoff). */
    DISCONNECTED,
    /** Refused for good (token, removed node, key conflict) or closed: no more attempts. */
    STOPPED
}
