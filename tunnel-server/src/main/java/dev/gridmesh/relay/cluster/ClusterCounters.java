package dev.gridmesh.relay.cluster;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/** What the cluster layer counted (drops by reason, never thrown). Thread-safe. */
public final class ClusterCounters {
    final LongAdder packetsOut = new LongAdder();
    final LongAdder packetsOutDropped = new LongAdder();
    final LongAdder packetsIn = new LongAdder();
    final LongAdder packetsInDropped = new LongAdder();
    final LongAdder linkBadFrames = new LongAdder();
    final LongAdder linkAuthFailed = new LongAdder();
    final LongAdder linksOpened = new LongAdder();
    final LongAdder watchEvents = new LongAdder();
    final LongAdder streamLinksOpened = new LongAdder();
    final LongAdder streamLinksFailed = new LongAdder();

    /** Name to value, for logs, tests and listings. */
    public Map<String, Long> snapshot() {
        Map<String, Long> m = new LinkedHashMap<>();
        m.put("packets_forwarded", packetsOut.sum());
        m.put("packets_forward_dropped", packetsOutDropped.sum());
        m.put("packets_received", packetsIn.sum());
        m.put("packets_receive_dropped", packetsInDropped.sum());
        m.put("link_bad_frames", linkBadFrames.sum());
        m.put("link_auth_failed", linkAuthFailed.sum());
        m.put("links_opened", linksOpened.sum());
        m.put("watch_events", watchEvents.sum());
        m.put("stream_links_opened", streamLinksOpened.sum());
        m.put("stream_links_failed", streamLinksFailed.sum());
        return m;
    }
}
