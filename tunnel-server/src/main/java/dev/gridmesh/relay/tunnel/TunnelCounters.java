package dev.gridmesh.relay.tunnel;

import dev.gridmesh.protocol.stream.ResetCode;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/**
 * The relay's engineer-tunnel counters, for {@code gridmesh relay stats} and Prometheus: streams opened (handed to
 * an agent), accepted by the agent, refused by reason (relay or agent side), closed (clean or reset), and stream
 * bytes each way as they pass the joiner. Thread-safe (LongAdders: the joiner adds from every event loop).
 */
public final class TunnelCounters {
    /** Why a tunnel (login or stream) was refused. */
    public enum Denial {
        /** The user token was not recognised, revoked, or missing (HTTP 401). */
        TOKEN,
        /** The relay's tunnel-policy grants the user no such node:port. */
        POLICY,
        /** No node of that name is registered. */
        NO_SUCH_NODE,
        /** The node exists but its agent is not connected. */
        NODE_OFFLINE,
        /** The agent refused: port not in its allow-list. */
        AGENT_ALLOW_LIST,
        /** The agent could not connect to 127.0.0.1:PORT. */
        CONNECT_FAILED,
        /** The agent did not answer within {@link TunnelService#ACCEPT_TIMEOUT_MS}. */
        TIMEOUT,
        /** The agent or its connection ended the stream before accepting for another reason. */
        OTHER;

        /** Label value: lower case. */
        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }

        /** The denial for an agent-side refusal with {@code code}. */
        static Denial ofAgentReset(ResetCode code) {
            return switch (code) {
                case DENIED -> AGENT_ALLOW_LIST;
                case CONNECT_FAILED -> CONNECT_FAILED;
                case TIMEOUT -> TIMEOUT;
                default -> OTHER;
            };
        }
    }

    private final LongAdder opened = new LongAdder();
    private final LongAdder accepted = new LongAdder();
    private final LongAdder closedOk = new LongAdder();
    private final LongAdder closedReset = new LongAdder();
    private final LongAdder bytesToNode = new LongAdder();
    private final LongAdder bytesFromNode = new LongAdder();
    private final Map<Denial, LongAdder> denied = new EnumMap<>(Denial.class);

    public TunnelCounters() {
        for (Denial d : Denial.values()) {
            denied.put(d, new LongAdder());
        }
    }

    void onOpened() {
        opened.increment();
    }

    void onAccepted() {
        accepted.increment();
    }

    void onDenied(Denial d) {
        denied.get(d).increment();
    }

    void onClosed(boolean clean) {
        (clean ? closedOk : closedReset).increment();
    }

    void onToNode(int n) {
        bytesToNode.add(n);
    }

    void onFromNode(int n) {
        bytesFromNode.add(n);
    }

    public long opened() {
        return opened.sum();
    }

    public long accepted() {
        return accepted.sum();
    }

    public long denied(Denial d) {
        return denied.get(d).sum();
    }

    /** All refusals, relay and agent side. */
    public long deniedTotal() {
        long n = 0;
        for (LongAdder a : denied.values()) {
            n += a.sum();
        }
        return n;
    }

    public long closedOk() {
        return closedOk.sum();
    }

    public long closedReset() {
        return closedReset.sum();
    }

    public long bytesToNode() {
        return bytesToNode.sum();
    }

    public long bytesFromNode() {
        return bytesFromNode.sum();
    }

    /** Every counter by a stable snake_case name ({@code denied_policy}, {@code bytes_to_node}, ...), in order. */
    public Map<String, Long> snapshot() {
        Map<String, Long> m = new LinkedHashMap<>();
        m.put("streams_opened", opened());
        m.put("streams_accepted", accepted());
        for (Denial d : Denial.values()) {
            m.put("denied_" + d.label(), denied(d));
        }
        m.put("streams_closed_ok", closedOk());
        m.put("streams_closed_reset", closedReset());
        m.put("bytes_to_node", bytesToNode());
        m.put("bytes_from_node", bytesFromNode());
        return m;
    }
}
