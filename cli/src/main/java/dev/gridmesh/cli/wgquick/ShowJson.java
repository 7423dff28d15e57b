package dev.gridmesh.cli.wgquick;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gridmesh.agent.localapi.ShowResponse;
import dev.gridmesh.agent.localapi.ShowResponse.InterfaceInfo;
import dev.gridmesh.agent.localapi.ShowResponse.PeerInfo;
import java.time.Instant;
import java.util.List;

/**
 * {@code gridmesh wg-quick show --json}: a stable, documented schema (docs/cli.md), independent of the local API's
 * wire form. Version 1; fields are only ever added, never renamed or removed, without bumping {@code schemaVersion}.
 * {@code show IFNAME --json} prints one interface object; {@code show --json} (all interfaces) prints
 * {@code {"schemaVersion":1,"interfaces":[INTERFACE, ...]}}. An interface object:
 * <pre>
 * {
 *   "schemaVersion": 1,
 *   "name": "wg0", "publicKey": "base64", "listenPort": 51820, "addresses": ["100.64.0.1/10"], "mtu": 1420,
 *   "peers": [ {
 *     "publicKey": "base64", "presharedKey": false, "endpoint": "198.18.0.2:51820" or null,
 *     "allowedIps": ["100.64.0.2/32"], "latestHandshake": "2026-11-28T19:00:00Z" or null,
 *     "latestHandshakeEpochMillis": 0 when never, "rxBytes": 0, "txBytes": 0, "persistentKeepaliveSeconds": 0
 *   } ]
 * }
 * </pre>
 */
final class ShowJson {
    static final int SCHEMA_VERSION = 1;
    private static final ObjectMapper MAPPER = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private ShowJson() {}

    /** All interfaces: {@code {"schemaVersion":1,"interfaces":[...]}}. */
    static String formatAll(List<ShowResponse> shows) {
        ObjectNode root = MAPPER.createObjectNode();
        root.put("schemaVersion", SCHEMA_VERSION);
        ArrayNode ifs = root.putArray("interfaces");
        for (ShowResponse s : shows) {
            ifs.add(interfaceNode(s, false));
        }
        return write(root);
    }

    /** One interface, with {@code schemaVersion} at its top. */
    static String formatOne(ShowResponse show) {
        return write(interfaceNode(show, true));
    }

    private static ObjectNode interfaceNode(ShowResponse s, boolean withVersion) {
        InterfaceInfo i = s.iface();
        ObjectNode in = MAPPER.createObjectNode();
        if (withVersion) {
            in.put("schemaVersion", SCHEMA_VERSION);
        }
        in.put("name", i.name());
        in.put("publicKey", i.publicKey());
        in.put("listenPort", i.listenPort());
        ArrayNode addrs = in.putArray("addresses");
        i.addresses().forEach(a -> addrs.add(AddressText.canonical(a)));
        in.put("mtu", i.mtu());
        ArrayNode peers = in.putArray("peers");
        for (PeerInfo p : s.peers()) {
            ObjectNode pn = peers.addObject();
            pn.put("publicKey", p.publicKey());
            pn.put("presharedKey", p.presharedKey());
            if (p.endpoint() == null || p.endpoint().isEmpty()) {
                pn.putNull("endpoint");
            } else {
                pn.put("endpoint", AddressText.canonical(p.endpoint()));
            }
            ArrayNode allowed = pn.putArray("allowedIps");
            p.allowedIps().forEach(a -> allowed.add(AddressText.canonical(a)));
            if (p.latestHandshakeEpochMillis() == 0) {
                pn.putNull("latestHandshake");
            } else {
                pn.put("latestHandshake", Instant.ofEpochMilli(p.latestHandshakeEpochMillis()).toString());
            }
            pn.put("latestHandshakeEpochMillis", p.latestHandshakeEpochMillis());
            pn.put("rxBytes", p.rxBytes());
            pn.put("txBytes", p.txBytes());
            pn.put("persistentKeepaliveSeconds", p.persistentKeepaliveSeconds());
        }
        return in;
    }

    private static String write(ObjectNode root) {
        try {
            return MAPPER.writeValueAsString(root) + "\n";
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e); // a tree of plain values always serializes
        }
    }
}
