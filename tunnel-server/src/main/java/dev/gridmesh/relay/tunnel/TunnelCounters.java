package dev.gridmesh.relay.tunnel;

import dev.gridmesh.protocol.stream.ResetCode;
import dev.gridmesh.protocol.stream.StreamDrop;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/**
 * The relay's engineer-tunnel counters, for {@code gridmesh relay stats} and Prometheus: streams opened (handed to
 * an agent), accepted by the agent, refused by reason (relay or agent side), closed (clean or reset), stream
 * bytes each way as they pass the joiner, stream frames refused by the protocol ({@link StreamDrop}) per leg, and
 * engineer connections closed for idling. Thread-safe (LongAdders: the joiner adds from every event loop).
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

    /** Which side of the relay sent a refused stream frame. */
    public enum Leg {
        /** An engineer's connection (or another relay's stream link serving its engineers). */
        ENGINEER,
        /** An agent's connection (or the stream link to the relay that holds the node). */
        NODE;

        /** Label value: lower case. */
        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    private final LongAdder opened = new LongAdder();
    private final LongAdder idleClosed = new LongAdder();
    private final LongAdder[][] drops = new LongAdder[Leg.values().length][StreamDrop.values().length];
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
        for (LongAdder[] byReason : drops) {
            for (int i = 0; i < byReason.length; i++) {
                byReason[i] = new LongAdder();
            }
        }
    }

    /** A stream frame from {@code leg} refused by the protocol for {@code reason}. */
    void onDrop(Leg leg, StreamDrop reason) {
        drops[leg.ordinal()][reason.ordinal()].increment();
    }

    void onIdleClosed() {
        idleClosed.increment();
    }

    /** Stream frames from {@code leg} refused for {@code reason}. */
    public long drops(Leg leg, StreamDrop reason) {
        return drops[leg.ordinal()][reason.ordinal()].sum();
    }

    /** Engineer connections closed because they had no stream and no traffic for the idle timeout. */
    public long idleClosed() {
        return idleClosed.sum();
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
        m.put("engineer_idle_closed", idleClosed());
        for (Leg l : Leg.values()) {
            for (StreamDrop d : StreamDrop.values()) {
                m.put("drops_" + l.label() + "_" + d.name().toLowerCase(Locale.ROOT), drops(l, d));
            }
        }
        return m;
    }
}
