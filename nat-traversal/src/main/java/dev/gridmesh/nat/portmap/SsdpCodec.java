package dev.gridmesh.nat.portmap;

import static java.util.Objects.requireNonNull;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/**
 * SSDP search (UPnP Device Architecture 1.1, section 1.3): an M-SEARCH request and its unicast HTTPU response.
 *
 * <pre>
 * M-SEARCH * HTTP/1.1\r\n                     HTTP/1.1 200 OK\r\n
 * HOST: 239.255.255.250:1900\r\n              CACHE-CONTROL: max-age=120\r\n
 * MAN: "ssdp:discover"\r\n                    ST: urn:schemas-upnp-org:device:InternetGatewayDevice:1\r\n
 * MX: 1\r\n                                   USN: uuid:...::urn:schemas-upnp-org:device:InternetGatewayDevice:1\r\n
 * ST: urn:...:InternetGatewayDevice:1\r\n     LOCATION: http://198.18.0.1:5000/rootDesc.xml\r\n
 * \r\n                                        (more headers)\r\n\r\n
 * </pre>
 * A search for {@code InternetGatewayDevice:1} also finds v2 devices (they answer searches for lower versions).
 */
public final class SsdpCodec {
    public static final int PORT = 1900;
    public static final String MULTICAST_GROUP = "239.255.255.250";
    public static final String IGD_V1 = "urn:schemas-upnp-org:device:InternetGatewayDevice:1";
    /** Longer responses are not SSDP. */
    public static final int MAX_LENGTH = 8192;

    /** The headers of a search response this client uses; header names are case-insensitive on the wire. */
    public record SearchResponse(URI location, String st, String usn, String server) {
        public SearchResponse {
            requireNonNull(location, "location");
            requireNonNull(st, "st");
            requireNonNull(usn, "usn");
            requireNonNull(server, "server");
        }
    }

    private SsdpCodec() {}

    /** An M-SEARCH for {@code st}; {@code host} is the HOST header value (the multicast group:port per UDA). */
    public static byte[] mSearch(String st, int mxSeconds, String host) {
        String text = "M-SEARCH * HTTP/1.1\r\n"
                + "HOST: " + host + "\r\n"
                + "MAN: \"ssdp:discover\"\r\n"
                + "MX: " + mxSeconds + "\r\n"
                + "ST: " + st + "\r\n"
                + "\r\n";
        return text.getBytes(StandardCharsets.US_ASCII);
    }

    /** Decodes a search response (remaining bytes; position not moved). Never throws. */
    public static Decoded<SearchResponse> decodeResponse(ByteBuffer buf) {
        ByteBuffer b = buf.slice();
        if (b.remaining() > MAX_LENGTH) {
            return Decoded.err(PortMapDecodeError.BAD_LENGTH, b.remaining() + " bytes");
        }
        byte[] bytes = new byte[b.remaining()];
        b.get(bytes);
        String text = new String(bytes, StandardCharsets.ISO_8859_1);
        String[] lines = text.split("\r?\n");
        if (lines.length == 0 || !lines[0].matches("HTTP/1\\.[01] 200( .*)?")) {
            return Decoded.err(PortMapDecodeError.BAD_HTTP, "status line: " + abbreviate(lines.length == 0 ? "" : lines[0]));
        }
        Map<String, String> headers = new HashMap<>();
        for (int i = 1; i < lines.length && !lines[i].isEmpty(); i++) {
            int colon = lines[i].indexOf(':');
            if (colon <= 0) {
                return Decoded.err(PortMapDecodeError.BAD_HTTP, "header line: " + abbreviate(lines[i]));
            }
            headers.putIfAbsent(lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT),
                    lines[i].substring(colon + 1).trim());
        }
        String location = headers.get("location");
        if (location == null || location.isEmpty()) {
            return Decoded.err(PortMapDecodeError.BAD_HTTP, "no LOCATION header");
        }
        URI uri;
        try {
            uri = new URI(location);
        } catch (URISyntaxException e) {
            return Decoded.err(PortMapDecodeError.BAD_HTTP, "LOCATION: " + abbreviate(location));
        }
        if (!"http".equalsIgnoreCase(uri.getScheme()) || uri.getHost() == null) {
            return Decoded.err(PortMapDecodeError.BAD_HTTP, "LOCATION not an http URL: " + abbreviate(location));
        }
        return Decoded.ok(new SearchResponse(uri, headers.getOrDefault("st", ""), headers.getOrDefault("usn", ""),
                headers.getOrDefault("server", "")));
    }

    static String abbreviate(String s) {
        String clean = s.replaceAll("[^\\x20-\\x7e]", "?");
        return clean.length() <= 80 ? clean : clean.substring(0, 80) + "...";
    }
}
